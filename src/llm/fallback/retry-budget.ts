/** A provider's traffic over the budget's window: requests' first calls to it, and the calls after those. */
export interface RetryCounts {
  first: number;
  extra: number;
}

/**
 * Where the counts live: this process (`WindowedRetryCounts`), or every replica's together (the coordination
 * module's Redis store), so the fleet as a whole keeps to the budget.
 */
export interface RetryCountStore {
  add(provider: string, kind: keyof RetryCounts): void;
  /** The counts over the window, everyone's where the store is shared. */
  counts(provider: string): RetryCounts;
}

/** The budget's window, in one-second buckets. */
export const RETRY_WINDOW_SECONDS = 10;

/** Counts per provider in one-second buckets over the last RETRY_WINDOW_SECONDS; time is injected. */
export class WindowedRetryCounts implements RetryCountStore {
  private readonly buckets = new Map<string, Map<number, RetryCounts>>();

  constructor(private readonly now: () => number) {}

  add(provider: string, kind: keyof RetryCounts, amount = 1): void {
    const second = Math.floor(this.now() / 1000);
    let byProvider = this.buckets.get(provider);
    if (!byProvider) this.buckets.set(provider, (byProvider = new Map<number, RetryCounts>()));
    const bucket = byProvider.get(second) ?? { first: 0, extra: 0 };
    bucket[kind] += amount;
    byProvider.set(second, bucket);
    for (const old of byProvider.keys())
      if (old <= second - RETRY_WINDOW_SECONDS) byProvider.delete(old);
  }

  counts(provider: string): RetryCounts {
    const oldest = Math.floor(this.now() / 1000) - RETRY_WINDOW_SECONDS;
    const total = { first: 0, extra: 0 };
    for (const [second, bucket] of this.buckets.get(provider) ?? []) {
      if (second <= oldest) continue;
      total.first += bucket.first;
      total.extra += bucket.extra;
    }
    return total;
  }

  /** Every bucket, for a store that ships them elsewhere; emptied by the call. */
  drain(): Array<{ provider: string; second: number; counts: RetryCounts }> {
    const drained = [...this.buckets].flatMap(([provider, byProvider]) =>
      [...byProvider].map(([second, counts]) => ({ provider, second, counts })),
    );
    this.buckets.clear();
    return drained;
  }
}

export interface RetryBudgetSettings {
  /** Calls after a request's first call to a provider, as a share of first calls (LLM_RETRY_BUDGET_RATIO). */
  ratio: number;
  /** Calls allowed over the window whatever the traffic, so a quiet service still retries (LLM_RETRY_BUDGET_MIN). */
  minPerWindow: number;
}

/**
 * The fleet's retry budget (Envoy's and gRPC's idea): per provider, the calls a request makes to a route it has
 * already called (a same-route retry, another key of it) stay within `ratio` of the provider's recent first calls,
 * plus a small floor. A fallback to another route (another model, another provider) is that route's first call and
 * never refused: the budget stops a fleet from multiplying its load on a struggling route, not from failing over to
 * a healthy one.
 */
export class RetryBudget {
  constructor(
    private readonly settings: RetryBudgetSettings,
    private readonly store: RetryCountStore,
  ) {}

  /** A request's first call to `provider`. */
  first(provider: string): void {
    this.store.add(provider, 'first');
  }

  /** Whether a request may call `provider` again; counted when it may. */
  tryExtra(provider: string): boolean {
    const { first, extra } = this.store.counts(provider);
    const allowed = Math.max(this.settings.minPerWindow, this.settings.ratio * first);
    if (extra >= allowed) return false;
    this.store.add(provider, 'extra');
    return true;
  }
}
