import { RETRY_WINDOW_SECONDS, WindowedRetryCounts } from '../llm';
import type { RetryCounts, RetryCountStore } from '../llm';
import { RedisConnection } from './redis-connection';

/** How often a replica adds its counts to the fleet's and reads the fleet's back. */
const SYNC_INTERVAL_MS = 1_000;
/** A bucket outlives the window by this much, then Redis drops it. */
const BUCKET_TTL_SECONDS = RETRY_WINDOW_SECONDS * 3;
/** The largest count one field may hold; anything else in Redis is not a count and is ignored. */
const MAX_COUNT = 1_000_000_000;

/**
 * The retry budget's counts for the whole fleet: each replica counts its own calls locally (no Redis round trip on
 * the request path) and once a second adds them to per-second hashes in Redis (`HINCRBY`, expiring) and reads the
 * window's totals back. A replica's view is the fleet's last totals plus what it counted since. While Redis is away
 * nothing is drained: the replica keeps to its own counts, and adds them once it is back.
 */
export class RedisRetryCounts implements RetryCountStore {
  private readonly pending: WindowedRetryCounts;
  private fleet = new Map<string, RetryCounts>();
  private readonly timer: NodeJS.Timeout;
  private syncing = false;

  constructor(
    private readonly redis: RedisConnection,
    private readonly now: () => number = Date.now,
  ) {
    this.pending = new WindowedRetryCounts(now);
    this.timer = setInterval(() => void this.sync(), SYNC_INTERVAL_MS);
    this.timer.unref();
  }

  add(provider: string, kind: keyof RetryCounts): void {
    this.pending.add(provider, kind);
  }

  counts(provider: string): RetryCounts {
    const own = this.pending.counts(provider);
    const fleet = this.fleet.get(provider) ?? { first: 0, extra: 0 };
    return { first: own.first + fleet.first, extra: own.extra + fleet.extra };
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Adds this replica's counts to the fleet's, then reads the window's totals. */
  async sync(): Promise<void> {
    const client = this.redis.client;
    if (!client || !this.redis.up || this.syncing) return;
    this.syncing = true;
    const drained = this.pending.drain();
    const bucketKey = (second: number) => this.redis.key('retry-budget', String(second));
    try {
      const pipeline = client.pipeline();
      for (const { provider, second, counts } of drained) {
        for (const kind of ['first', 'extra'] as const)
          if (counts[kind] > 0)
            pipeline.hincrby(bucketKey(second), `${provider}|${kind}`, counts[kind]);
        pipeline.expire(bucketKey(second), BUCKET_TTL_SECONDS);
      }
      const current = Math.floor(this.now() / 1000);
      const seconds = Array.from({ length: RETRY_WINDOW_SECONDS }, (_, back) => current - back);
      for (const second of seconds) pipeline.hgetall(bucketKey(second));
      const results = (await pipeline.exec()) ?? [];
      this.fleet = totals(results.slice(results.length - seconds.length).map(([, value]) => value));
    } catch {
      // Redis went away mid-sync: these counts stay with this replica for the rest of their window.
      for (const { provider, counts } of drained) {
        this.pending.add(provider, 'first', counts.first);
        this.pending.add(provider, 'extra', counts.extra);
      }
    } finally {
      this.syncing = false;
    }
  }
}

/** The window's totals per provider from the buckets' hashes; a field that is not `provider|kind` = count is skipped. */
function totals(hashes: unknown[]): Map<string, RetryCounts> {
  const sums = new Map<string, RetryCounts>();
  for (const hash of hashes) {
    if (typeof hash !== 'object' || hash === null) continue;
    for (const [field, raw] of Object.entries(hash as Record<string, string>)) {
      const [provider, kind] = field.split('|');
      const count = Number(raw);
      if ((kind !== 'first' && kind !== 'extra') || !provider) continue;
      if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) continue;
      const sum = sums.get(provider) ?? { first: 0, extra: 0 };
      sum[kind] += count;
      sums.set(provider, sum);
    }
  }
  return sums;
}
