/** One counter of spend per UTC day, and the most it may reach that day (undefined: counted, never limited). */
export interface BudgetCounter {
  id: string;
  budget: number | undefined;
}

/** Where spend is counted: per counter (a client, the whole service) and UTC day. */
export interface SpendStore {
  /**
   * Atomically adds the same number of tokens to every counter: `want`, or less when a budget has less room, but
   * never fewer than `least`. Resolves to the tokens added: 0 when they did not fit (nothing is added then).
   */
  reserve(
    counters: readonly BudgetCounter[],
    day: number,
    least: number,
    want: number,
  ): Promise<number>;
  /** Adds `tokens` to each counter (negative: gives a reservation's unused part back). */
  add(ids: readonly string[], day: number, tokens: number): void;
  /** The counter's total for the day as this process knows it. */
  spent(id: string, day: number): number;
}

/**
 * A reservation against what `store` knows: the tokens every counter can take now, between `least` and `want`,
 * added to all of them (0, and nothing added, when fewer than `least` fit). One synchronous step.
 */
export function reserveLocally(
  store: Pick<SpendStore, 'add' | 'spent'>,
  counters: readonly BudgetCounter[],
  day: number,
  least: number,
  want: number,
): number {
  let grant = want;
  for (const { id, budget } of counters)
    if (budget !== undefined) grant = Math.min(grant, budget - store.spent(id, day));
  if (grant < least) return 0;
  store.add(
    counters.map(({ id }) => id),
    day,
    grant,
  );
  return grant;
}

/** Spend in this process only (no REDIS_URL): reservations are checked and added in one synchronous step. */
export class InMemorySpendStore implements SpendStore {
  private readonly totals = new Map<string, { day: number; tokens: number }>();

  reserve(
    counters: readonly BudgetCounter[],
    day: number,
    least: number,
    want: number,
  ): Promise<number> {
    return Promise.resolve(reserveLocally(this, counters, day, least, want));
  }

  add(ids: readonly string[], day: number, tokens: number): void {
    for (const id of ids) {
      const entry = this.totals.get(id);
      this.totals.set(id, { day, tokens: (entry?.day === day ? entry.tokens : 0) + tokens });
    }
  }

  spent(id: string, day: number): number {
    const entry = this.totals.get(id);
    return entry?.day === day ? entry.tokens : 0;
  }
}
