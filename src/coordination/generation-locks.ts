import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { RedisConnection } from './redis-connection';

/** A holder that dies mid-generation blocks the others no longer than this. */
export const GENERATION_LOCK_TTL_MS = 15_000;
/** The holder renews its lock this often while it generates. */
const RENEW_EVERY_MS = 5_000;
/** How often a waiting replica looks whether the holder is done. */
const POLL_MS = 100;
/** How long the stored record's id stays findable for the replicas that waited. */
const RESULT_TTL_MS = 60_000;

/** Extends the lock's life only while `ARGV[1]` still holds it. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

/** Records the result's id and releases the lock, only while `ARGV[1]` still holds it. */
const FINISH = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * Single-flight across replicas: of the replicas asked for the same generation at once, one generates (holding a
 * Redis lock renewed while it works) and the others wait, then load the record it stored. A holder that fails
 * leaves no result, so a waiter takes over; one that dies stops renewing, so its lock expires after
 * GENERATION_LOCK_TTL_MS. Redis rather than a PostgreSQL advisory lock: an advisory lock would pin a pool
 * connection for the whole generation (seconds to minutes of LLM time), and the lock is only a saving (no duplicate
 * paid generation), never needed for correctness: the upsert on the record's natural key keeps one row either way.
 * Without Redis, or while it is unreachable, each replica generates on its own (in-process callers still share one).
 */
@Injectable()
export class GenerationLocks {
  private readonly logger = new Logger(GenerationLocks.name);

  constructor(private readonly redis: RedisConnection) {}

  /**
   * `generate` here, or wait for the replica that is generating the same `key` and `load` what it stored.
   */
  async once<T extends { id: string }>(
    key: string,
    generate: () => Promise<T>,
    load: (id: string) => Promise<T | undefined>,
  ): Promise<T> {
    if (!this.redis.up) return generate(); // one process, or Redis away: in-process single flight only
    const digest = createHash('sha256').update(key).digest('hex').slice(0, 32);
    const lockKey = this.redis.key('generation', digest);
    const resultKey = this.redis.key('generation-result', digest);
    const token = `${this.redis.podId}:${randomUUID()}`;
    for (;;) {
      const client = this.redis.up ? this.redis.client : undefined;
      if (!client) return generate();
      let acquired: string | null;
      try {
        acquired = await client.set(lockKey, token, 'PX', GENERATION_LOCK_TTL_MS, 'NX');
      } catch {
        return generate();
      }
      if (acquired === 'OK') {
        await client.del(resultKey).catch(() => undefined);
        return this.hold(lockKey, resultKey, token, generate);
      }
      const id = await this.waitForHolder(lockKey, resultKey);
      if (id !== undefined) {
        const stored = await load(id);
        if (stored) return stored;
      }
      // The holder failed, died or Redis went away: try to take over (or generate locally).
    }
  }

  private async hold<T extends { id: string }>(
    lockKey: string,
    resultKey: string,
    token: string,
    generate: () => Promise<T>,
  ): Promise<T> {
    const client = this.redis.client!;
    const renewal = setInterval(() => {
      client.eval(RENEW, 1, lockKey, token, GENERATION_LOCK_TTL_MS).catch(() => undefined);
    }, RENEW_EVERY_MS);
    renewal.unref();
    let resultId = '';
    try {
      const result = await generate();
      resultId = result.id;
      return result;
    } finally {
      clearInterval(renewal);
      await client
        .eval(FINISH, 2, lockKey, resultKey, token, resultId, RESULT_TTL_MS)
        .catch(() => this.logger.warn('Could not release a generation lock; it expires by itself'));
    }
  }

  /** Waits until the lock is gone; the id the holder stored, if it stored one. */
  private async waitForHolder(lockKey: string, resultKey: string): Promise<string | undefined> {
    for (;;) {
      await sleep(POLL_MS);
      const client = this.redis.up ? this.redis.client : undefined;
      if (!client) return undefined;
      try {
        const [held, result] = await Promise.all([client.exists(lockKey), client.get(resultKey)]);
        if (held === 0) return result ?? undefined;
      } catch {
        return undefined;
      }
    }
  }
}
