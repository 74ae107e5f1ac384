import { ThrottlerStorage } from '@nestjs/throttler';
import { Clock, SYSTEM_CLOCK } from './clock';

export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** A window's state as the throttler takes it: times left in whole seconds, rounded up, never negative. */
export function throttlerRecord(
  hits: number,
  windowMsLeft: number,
  blocked: boolean,
  blockMsLeft: number,
): ThrottlerStorageRecord {
  const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));
  return {
    totalHits: hits,
    timeToExpire: seconds(windowMsLeft),
    isBlocked: blocked,
    timeToBlockExpire: blocked ? seconds(blockMsLeft) : 0,
  };
}

interface Window {
  hits: number;
  endsAt: number;
  blockedUntil: number;
}

/**
 * This process's rate-limit counters: one fixed window per key, the same rule as the shared Redis script (count the
 * hit, start the window on the first one, block the key until the window ends once it goes over the limit). O(1) per
 * request. The throttler's default storage keeps every hit's expiry in a list and filters it on each request, which
 * grows with the limit: at a limit of 100,000 a minute it was the service's largest single cost under load.
 */
export class FixedWindowThrottlerStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, Window>();
  private nextSweepAt = 0;

  constructor(private readonly clock: Clock = SYSTEM_CLOCK) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = this.clock.now();
    this.sweep(now, ttl);
    const id = `${throttlerName}:${key}`;
    let window = this.windows.get(id);
    if (!window || window.endsAt <= now) {
      window = { hits: 0, endsAt: now + ttl, blockedUntil: window?.blockedUntil ?? 0 };
      this.windows.set(id, window);
    }
    window.hits += 1;
    // Blocked until the window resets (Retry-After then says when), never longer than blockDuration.
    if (window.blockedUntil <= now && window.hits > limit)
      window.blockedUntil = Math.min(now + blockDuration, window.endsAt);
    const blocked = window.blockedUntil > now;
    return throttlerRecord(window.hits, window.endsAt - now, blocked, window.blockedUntil - now);
  }

  /** The number of keys held (for tests: windows that ended are dropped). */
  get size(): number {
    return this.windows.size;
  }

  /** Drops windows that ended and are not blocking, at most once per window length. */
  private sweep(now: number, ttl: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + ttl;
    for (const [id, window] of this.windows) {
      if (window.endsAt <= now && window.blockedUntil <= now) this.windows.delete(id);
    }
  }
}
