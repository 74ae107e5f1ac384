import { RedisConnection } from '../coordination/redis-connection';
import { BudgetCounter, reserveLocally, SpendStore } from './spend-store';

/** Settled spend is added to the shared totals this soon. */
const FLUSH_MS = 50;
/** A total read from Redis is trusted this long before `spent` refreshes it (in the background). */
const REFRESH_MS = 1_000;
const DAY_SECONDS = 86_400;

/**
 * Checks every counter's room and adds the grant to all of them, in one step no other replica can interleave.
 * KEYS: the counters. ARGV: least, want, ttl, then one budget per key (-1: none). Returns the grant (0: refused),
 * then each counter's total.
 */
const RESERVE = `
local least, want, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local totals, grant = {}, want
for i, key in ipairs(KEYS) do
  totals[i] = tonumber(redis.call('GET', key) or '0')
  local budget = tonumber(ARGV[3 + i])
  if budget >= 0 and budget - totals[i] < grant then grant = budget - totals[i] end
end
if grant < least then
  table.insert(totals, 1, 0)
  return totals
end
for i, key in ipairs(KEYS) do
  totals[i] = redis.call('INCRBY', key, grant)
  redis.call('EXPIRE', key, ttl)
end
table.insert(totals, 1, grant)
return totals
`;

interface CounterSpend {
  day: number;
  /** The shared total as last read, plus what this process added since. */
  tokens: number;
  /** Added here, not yet sent to the shared total. */
  pending: number;
  refreshedAt: number;
}

/**
 * Token budgets shared by every replica: one Redis counter per client (and one for the service) and UTC day.
 * A reservation is checked and added atomically in Redis (a Lua script), so replicas together overshoot a budget by
 * at most one request's reservation. Settlements (the unused part given back, or what a reservation-free counter
 * spent) are sent within FLUSH_MS. The synchronous pre-check reads a local total refreshed at most once a second.
 * While Redis is unreachable each replica reserves against its own view and sends what it added when it is back.
 */
export class RedisSpendStore implements SpendStore {
  private readonly counters = new Map<string, CounterSpend>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisConnection,
    private readonly now: () => number = Date.now,
  ) {
    redis.onConnect(() => this.schedule());
  }

  async reserve(
    counters: readonly BudgetCounter[],
    day: number,
    least: number,
    want: number,
  ): Promise<number> {
    const client = this.redis.up ? this.redis.client : undefined;
    if (client) {
      try {
        const keys = counters.map(({ id }) => this.key(id, day));
        const budgets = counters.map(({ budget }) => budget ?? -1);
        const [grant, ...totals] = (await client.eval(
          RESERVE,
          keys.length,
          ...keys,
          least,
          want,
          2 * DAY_SECONDS,
          ...budgets,
        )) as number[];
        counters.forEach(({ id }, index) => {
          const entry = this.entry(id, day);
          entry.tokens = Number(totals[index]) + entry.pending;
          entry.refreshedAt = this.now();
        });
        return Number(grant);
      } catch {
        // Unreachable now: this replica's own view decides.
      }
    }
    return reserveLocally(this, counters, day, least, want);
  }

  add(ids: readonly string[], day: number, tokens: number): void {
    for (const id of ids) {
      const entry = this.entry(id, day);
      entry.tokens += tokens;
      entry.pending += tokens;
    }
    this.schedule();
  }

  spent(id: string, day: number): number {
    const entry = this.entry(id, day);
    if (this.now() - entry.refreshedAt >= REFRESH_MS) {
      entry.refreshedAt = this.now();
      void this.refresh(id, entry);
    }
    return entry.tokens;
  }

  private entry(id: string, day: number): CounterSpend {
    let entry = this.counters.get(id);
    if (!entry || entry.day !== day) {
      entry = { day, tokens: 0, pending: 0, refreshedAt: 0 };
      this.counters.set(id, entry);
    }
    return entry;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_MS);
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    const client = this.redis.up ? this.redis.client : undefined;
    if (!client) return; // pending spend goes out on reconnect
    for (const [id, entry] of this.counters) {
      if (entry.pending === 0) continue;
      const sending = entry.pending;
      entry.pending = 0;
      try {
        const key = this.key(id, entry.day);
        const [[, total]] = (await client
          .multi()
          .incrby(key, sending)
          .expire(key, 2 * DAY_SECONDS)
          .exec()) as [[Error | null, number], [Error | null, number]];
        entry.tokens = Number(total) + entry.pending;
        entry.refreshedAt = this.now();
      } catch {
        entry.pending += sending;
        this.schedule();
      }
    }
  }

  private async refresh(id: string, entry: CounterSpend): Promise<void> {
    const client = this.redis.up ? this.redis.client : undefined;
    if (!client) return;
    try {
      const total = Number((await client.get(this.key(id, entry.day))) ?? 0);
      if (this.counters.get(id) === entry) entry.tokens = total + entry.pending;
    } catch {
      // Unreachable: the local total serves.
    }
  }

  private key(id: string, day: number): string {
    return this.redis.key('spend', String(day), id);
  }
}
