import { Logger } from '@nestjs/common';
import type { ProbeLease } from '../llm';
import { RedisConnection } from './redis-connection';

/** Takes the lease when free, renews it when held by `ARGV[1]`; 1 when the caller holds it afterwards. */
const ACQUIRE_OR_RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

/** Deletes the lease only when `ARGV[1]` holds it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * One replica probes at a time: the holder of a Redis lease that lives one health-check interval and is renewed
 * three times per interval. Every replica tries to take it at the same pace, so when the holder dies another one
 * takes over within about 1⅓ intervals (within two, as promised). While Redis is unreachable every replica probes
 * for itself (its state is local then), and a holder that shuts down hands the lease back at once.
 */
export class RedisProbeLease implements ProbeLease {
  private readonly logger = new Logger(RedisProbeLease.name);
  private readonly key: string;
  private holding = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisConnection,
    private readonly intervalMs: number,
  ) {
    this.key = redis.key('probe-lease');
    this.timer = setInterval(() => void this.heartbeat(), Math.max(50, Math.round(intervalMs / 3)));
    this.timer.unref();
    redis.onConnect(() => void this.heartbeat());
  }

  held(): boolean {
    return !this.redis.up || this.holding;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    if (!this.holding || !this.redis.up || !this.redis.client) return;
    this.holding = false;
    await this.redis.client.eval(RELEASE, 1, this.key, this.redis.podId).catch(() => undefined);
  }

  private async heartbeat(): Promise<void> {
    if (!this.redis.up || !this.redis.client) return;
    try {
      const result = await this.redis.client.eval(
        ACQUIRE_OR_RENEW,
        1,
        this.key,
        this.redis.podId,
        String(this.intervalMs),
      );
      const holding = result === 1;
      if (holding !== this.holding)
        this.logger.log(
          holding
            ? 'This replica now runs the recovery probes for the deployment'
            : 'Another replica runs the recovery probes now',
        );
      this.holding = holding;
    } catch {
      // Unreachable: held() answers true while Redis is down; the next beat tries again.
    }
  }
}
