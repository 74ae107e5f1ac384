import { RedisConnection } from '../coordination/redis-connection';
import { SpendStore } from './token-budget.service';

/** Spend is added to the shared total this soon after it is charged. */
const FLUSH_MS = 50;
/** A total read from Redis is trusted this long before `spent` refreshes it (in the background). */
const REFRESH_MS = 1_000;
const DAY_SECONDS = 86_400;

interface ClientSpend {
  day: number;
  /** The shared total as last read, plus what this process charged since. */
  tokens: number;
  /** Charged here, not yet added to the shared total. */
  pending: number;
  refreshedAt: number;
}

/**
 * Token budgets shared by every replica: one Redis counter per client and UTC day. The budget check stays
 * synchronous and local (no round trip per request): charges are added to the shared counter within FLUSH_MS, and a
 * client's total is refreshed from Redis at most once a second when it is checked. A client can therefore overshoot
 * its budget by what the replicas charge within about a second, never by more; while Redis is unreachable each
 * replica counts on its own and sends its pending charges when it is back.
 */
export class RedisSpendStore implements SpendStore {
  private readonly clients = new Map<string, ClientSpend>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisConnection,
    private readonly now: () => number = Date.now,
  ) {
    redis.onConnect(() => this.schedule());
  }

  add(clientId: string, day: number, tokens: number): number {
    const entry = this.entry(clientId, day);
    entry.tokens += tokens;
    entry.pending += tokens;
    this.schedule();
    return entry.tokens;
  }

  spent(clientId: string, day: number): number {
    const entry = this.entry(clientId, day);
    if (this.now() - entry.refreshedAt >= REFRESH_MS) {
      entry.refreshedAt = this.now();
      void this.refresh(clientId, entry);
    }
    return entry.tokens;
  }

  private entry(clientId: string, day: number): ClientSpend {
    let entry = this.clients.get(clientId);
    if (!entry || entry.day !== day) {
      entry = { day, tokens: 0, pending: 0, refreshedAt: 0 };
      this.clients.set(clientId, entry);
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
    if (!client) return; // pending charges go out on reconnect
    for (const [clientId, entry] of this.clients) {
      if (entry.pending === 0) continue;
      const sending = entry.pending;
      entry.pending = 0;
      try {
        const key = this.key(clientId, entry.day);
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

  private async refresh(clientId: string, entry: ClientSpend): Promise<void> {
    const client = this.redis.up ? this.redis.client : undefined;
    if (!client) return;
    try {
      const total = Number((await client.get(this.key(clientId, entry.day))) ?? 0);
      if (this.clients.get(clientId) === entry) entry.tokens = total + entry.pending;
    } catch {
      // Unreachable: the local total serves.
    }
  }

  private key(clientId: string, day: number): string {
    return this.redis.key('spend', String(day), clientId);
  }
}
