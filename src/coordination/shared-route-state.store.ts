import { Logger } from '@nestjs/common';
import { COUNT_FIELDS, zeroCounts } from '../llm';
import type {
  ChainRecord,
  RouteCounts,
  RouteRecord,
  RouteStateStore,
  SharedStateStatus,
  StickyPointer,
} from '../llm';

/** A chain's state as replicas share it: everything but the counts, which are summed rather than overwritten. */
export interface SharedChainState {
  sticky: StickyPointer;
  routes: Array<Omit<RouteRecord, 'counts'>>;
}

/** One replica's news about one chain. */
export interface ChainStateMessage {
  origin: string;
  chain: string;
  state: SharedChainState;
}

/** What the shared store needs from the wire (Redis in production, an in-memory hub in unit tests). */
export interface RouteStateTransport {
  /** This replica. */
  readonly origin: string;
  /** Whether sending can work now. */
  up(): boolean;
  /**
   * Makes `state` (when given) the chain's latest and announces it to the other replicas, adds `deltas` to the
   * shared counts, and answers the shared counts after the addition.
   */
  publish(
    chain: string,
    state: SharedChainState | undefined,
    deltas: RouteCounts[],
  ): Promise<RouteCounts[]>;
  /** The chain's latest state (if any replica stored one) and its shared counts. */
  read(chain: string): Promise<{ state: SharedChainState | undefined; counts: RouteCounts[] }>;
  /** Every other replica's announcement, in the order they were made. */
  onState(listener: (message: ChainStateMessage) => void): void;
  /** After each (re)connection. */
  onConnect(listener: () => void): void;
  status(): SharedStateStatus;
}

/** How soon a state change (sticky move, circuit transition, key rejection) goes out: failovers travel fast. */
export const STATE_FLUSH_MS = 50;
/** How often counts alone are added to the shared totals. */
export const COUNTS_FLUSH_MS = 1_000;

interface Entry {
  record: ChainRecord;
  /** The state last sent or received, serialised: what the other replicas are known to hold. */
  published: string;
  /** Counts already included in the shared totals. */
  baseline: RouteCounts[];
  lastCountsFlush: number;
  dirty: boolean;
}

function stateOf(record: ChainRecord): SharedChainState {
  return {
    sticky: record.sticky,
    routes: record.routes.map((route) => ({
      circuit: route.circuit,
      lastProbe: route.lastProbe,
      disabledReason: route.disabledReason,
      disabledAt: route.disabledAt,
      consecutiveOutputFailures: route.consecutiveOutputFailures ?? 0,
    })),
  };
}

/**
 * Route state shared by every replica. The call path reads and writes a local record, as with the in-memory store:
 * no I/O per LLM call. A state change goes out within STATE_FLUSH_MS (stored as the chain's latest and published);
 * counts are added to shared totals every COUNTS_FLUSH_MS. Other replicas' announcements are applied to the local
 * record in place, in the order they were made, so every replica converges on the last one. While the transport is
 * down, the replica runs on its local state and sends what changed when it is back (what it saw while cut off is
 * the newest it knows); an unchanged chain loads the shared state instead.
 */
export class SharedRouteStateStore implements RouteStateStore {
  private readonly logger = new Logger(SharedRouteStateStore.name);
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private remoteChainListener: ((chainKey: string) => void) | undefined;

  constructor(
    private readonly transport: RouteStateTransport,
    private readonly now: () => number = Date.now,
  ) {
    transport.onState((message) => this.receive(message));
    transport.onConnect(() => void this.resync());
  }

  open(chainKey: string, initial: () => ChainRecord): ChainRecord {
    const existing = this.entries.get(chainKey);
    if (existing) return existing.record;
    const record = initial();
    const entry: Entry = {
      record,
      // The initial state is nothing to announce.
      published: JSON.stringify(stateOf(record)),
      baseline: record.routes.map(() => zeroCounts()),
      lastCountsFlush: this.now(),
      dirty: false,
    };
    this.entries.set(chainKey, entry);
    if (this.transport.up()) void this.load(chainKey, entry);
    return record;
  }

  changed(chainKey: string): void {
    const entry = this.entries.get(chainKey);
    if (!entry) return;
    entry.dirty = true;
    this.schedule(STATE_FLUSH_MS);
  }

  forget(chainKey: string): void {
    this.entries.delete(chainKey);
  }

  status(): SharedStateStatus {
    return this.transport.status();
  }

  /** Sends every pending change now (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.flushDirty().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  /** Stops the flush timer. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    this.timer.unref();
  }

  private async flushDirty(): Promise<void> {
    if (!this.transport.up()) return; // kept dirty: sent on reconnect
    let countsWaiting = Number.POSITIVE_INFINITY;
    for (const [chain, entry] of this.entries) {
      if (!entry.dirty) continue;
      const state = stateOf(entry.record);
      const serialised = JSON.stringify(state);
      const stateChanged = serialised !== entry.published;
      const sinceCounts = this.now() - entry.lastCountsFlush;
      if (!stateChanged && sinceCounts < COUNTS_FLUSH_MS) {
        countsWaiting = Math.min(countsWaiting, COUNTS_FLUSH_MS - sinceCounts);
        continue;
      }
      entry.dirty = false;
      await this.send(chain, entry, stateChanged ? state : undefined, serialised);
    }
    if (Number.isFinite(countsWaiting)) this.schedule(countsWaiting);
  }

  private async send(
    chain: string,
    entry: Entry,
    state: SharedChainState | undefined,
    serialised: string,
  ): Promise<void> {
    const sent = entry.record.routes.map((route) => ({ ...route.counts }));
    const deltas = sent.map((counts, index) => subtract(counts, entry.baseline[index]));
    try {
      const totals = await this.transport.publish(chain, state, deltas);
      if (state) entry.published = serialised;
      entry.lastCountsFlush = this.now();
      this.adoptTotals(entry, totals, sent);
    } catch {
      // Unreachable or slow: the connection reports it once; this change goes out on the next try or reconnect.
      entry.dirty = true;
      this.schedule(COUNTS_FLUSH_MS);
    }
  }

  /** Shared totals plus what this replica counted since it sent `sent`. */
  private adoptTotals(entry: Entry, totals: RouteCounts[], sent: RouteCounts[]): void {
    entry.record.routes.forEach((route, index) => {
      const total = totals[index] ?? zeroCounts();
      const unsent = subtract(route.counts, sent[index]);
      for (const field of COUNT_FIELDS) route.counts[field] = total[field] + unsent[field];
      entry.baseline[index] = { ...total };
    });
  }

  private receive(message: ChainStateMessage): void {
    if (message.origin === this.transport.origin) return;
    // A chain only another replica has used so far: opened here too (its probes need a holder everywhere).
    if (!this.entries.has(message.chain)) this.remoteChainListener?.(message.chain);
    const entry = this.entries.get(message.chain);
    if (!entry) return;
    this.apply(entry, message.state);
  }

  onRemoteChain(listener: (chainKey: string) => void): void {
    this.remoteChainListener = listener;
  }

  private apply(entry: Entry, state: SharedChainState): void {
    if (state.routes.length !== entry.record.routes.length) return;
    const serialised = JSON.stringify(state);
    if (serialised === entry.published) return;
    entry.published = serialised;
    const before = entry.record.sticky.index;
    entry.record.sticky = { ...state.sticky };
    state.routes.forEach((shared, index) => {
      const route = entry.record.routes[index];
      route.circuit = { ...shared.circuit };
      route.lastProbe = shared.lastProbe && { ...shared.lastProbe };
      route.disabledReason = shared.disabledReason;
      route.disabledAt = shared.disabledAt;
      route.consecutiveOutputFailures = shared.consecutiveOutputFailures;
    });
    if (state.sticky.index !== before)
      this.logger.log(
        `Another replica moved traffic from route ${before} to route ${state.sticky.index} of its chain (${state.sticky.reason ?? 'no reason'}); following`,
      );
  }

  private async load(chain: string, entry: Entry): Promise<void> {
    try {
      const shared = await this.transport.read(chain);
      if (this.entries.get(chain) !== entry) return;
      if (shared.state && !entry.dirty) this.apply(entry, shared.state);
      this.adoptTotals(
        entry,
        shared.counts,
        entry.baseline.map((counts) => ({ ...counts })),
      );
    } catch {
      // Unreachable: the local state serves; the next connection loads it again.
    }
  }

  private async resync(): Promise<void> {
    for (const [chain, entry] of this.entries) {
      if (entry.dirty) continue;
      await this.load(chain, entry);
    }
    if ([...this.entries.values()].some((entry) => entry.dirty)) await this.flush();
  }
}

function subtract(a: RouteCounts, b: RouteCounts | undefined): RouteCounts {
  const result = zeroCounts();
  for (const field of COUNT_FIELDS) result[field] = a[field] - (b?.[field] ?? 0);
  return result;
}
