import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import { SECURITY_CONFIG, SecurityConfig } from '../config/security.config';
import { RedisConnection } from '../coordination/redis-connection';

/** A shared slot lives this long unless renewed: a replica that dies frees its clients' slots within it. */
const LEASE_MS = 30_000;
const RENEW_MS = 10_000;

/** Drops expired slots, then takes one when fewer than the cap are held. KEYS: the client's set. ARGV: now, expiry, member, cap. */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ${LEASE_MS})
return 1`;

/** The client already has MAX_IN_FLIGHT_PER_KEY generating requests running: 429, try again in a second. */
export class InFlightLimitError extends DomainError {
  readonly code = 'too_many_in_flight';
  readonly status = 429;
  override readonly retryAfterSeconds = 1;
  constructor(limit: number) {
    super(
      `This client already has ${limit} generating requests running (MAX_IN_FLIGHT_PER_KEY); wait for one to finish`,
    );
    this.name = 'InFlightLimitError';
  }
}

/**
 * MAX_IN_FLIGHT_PER_KEY: how many generating requests one client may have running at once, so that one key's long
 * generations cannot hold every provider slot. With Redis the count is shared by every replica (a sorted set of
 * leases per client, renewed while held, so a replica that dies frees its slots within 30 s); without it, or while
 * Redis is unreachable, each replica counts its own. Released on every path: answer, failure, abort.
 */
@Injectable()
export class InFlightLimiter implements OnApplicationShutdown {
  private readonly local = new Map<string, number>();
  /** Shared slots this replica holds: member → the client's key. */
  private readonly shared = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    @Inject(SECURITY_CONFIG) private readonly config: Pick<SecurityConfig, 'maxInFlightPerKey'>,
    private readonly redis: RedisConnection,
  ) {
    this.timer = setInterval(() => void this.renew(), RENEW_MS);
    this.timer.unref();
  }

  /**
   * Takes a slot for `clientId`, or throws InFlightLimitError; the returned function gives it back (once). Only
   * clients with a key are capped: an open service (no API_KEYS) tells its clients apart by address only, and
   * everyone behind one proxy or NAT would share one cap.
   */
  async acquire(clientId: string): Promise<() => void> {
    if (!clientId.startsWith('key:')) return NOTHING_HELD;
    const limit = this.config.maxInFlightPerKey;
    const client = this.redis.up ? this.redis.client : undefined;
    if (client) {
      const key = this.redis.key('in-flight', clientId);
      const member = `${this.redis.podId}:${randomUUID()}`;
      const now = Date.now();
      let taken: unknown;
      try {
        taken = await client.eval(ACQUIRE, 1, key, now, now + LEASE_MS, member, limit);
      } catch {
        taken = undefined; // unreachable: count here
      }
      if (taken === 0) throw new InFlightLimitError(limit);
      if (taken === 1) {
        this.shared.set(member, key);
        return once(() => {
          this.shared.delete(member);
          client.zrem(key, member).catch(() => undefined);
        });
      }
    }
    const running = this.local.get(clientId) ?? 0;
    if (running >= limit) throw new InFlightLimitError(limit);
    this.local.set(clientId, running + 1);
    return once(() => {
      const left = (this.local.get(clientId) ?? 1) - 1;
      if (left > 0) this.local.set(clientId, left);
      else this.local.delete(clientId);
    });
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async renew(): Promise<void> {
    const client = this.redis.up ? this.redis.client : undefined;
    if (!client || this.shared.size === 0) return;
    const expiry = Date.now() + LEASE_MS;
    const batch = client.pipeline();
    for (const [member, key] of this.shared)
      batch.zadd(key, 'XX', expiry, member).pexpire(key, LEASE_MS);
    await batch.exec().catch(() => undefined);
  }
}

const NOTHING_HELD = () => undefined;

function once(release: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}
