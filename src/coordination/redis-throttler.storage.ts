import { ThrottlerStorage } from '@nestjs/throttler';
import {
  FixedWindowThrottlerStorage,
  throttlerRecord,
  ThrottlerStorageRecord,
} from '../common/fixed-window-throttler.storage';
import { RedisConnection } from './redis-connection';

/**
 * One fixed window per key: counts the hit, starts the window on the first one, and blocks the key until the window
 * ends (`blockDuration` at most) once it goes over the limit, so Retry-After says when it resets. Answers hits, window ms left, blocked (0/1), block ms left.
 */
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
local blockTtl = redis.call('PTTL', KEYS[2])
if blockTtl > 0 then return {hits, ttl, 1, blockTtl} end
if hits > tonumber(ARGV[2]) then
  local block = tonumber(ARGV[3])
  if ttl > 0 and ttl < block then block = ttl end
  redis.call('SET', KEYS[2], '1', 'PX', block)
  return {hits, ttl, 1, block}
end
return {hits, ttl, 0, 0}`;

/**
 * The rate limit shared by every replica: one small Lua script on the service's own Redis connection (atomic, one
 * round trip per generating request) rather than a storage package, so it shares the connection's fail-fast
 * behaviour and falls back to this process's own counters while Redis is unreachable, instead of failing requests.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly local = new FixedWindowThrottlerStorage();

  constructor(private readonly redis: RedisConnection) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const client = this.redis.up ? this.redis.client : undefined;
    if (client) {
      try {
        const [hits, windowMs, blocked, blockMs] = (await client.eval(
          INCREMENT,
          2,
          this.redis.key('rate', throttlerName, key),
          this.redis.key('rate-block', throttlerName, key),
          ttl,
          limit,
          blockDuration,
        )) as [number, number, number, number];
        return throttlerRecord(hits, windowMs, blocked === 1, blockMs);
      } catch {
        // Unreachable or slow: this process's own counters serve until it answers.
      }
    }
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }
}
