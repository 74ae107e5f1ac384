import type { RouteCounts, SharedStateStatus } from '../llm';
import { COUNT_FIELDS, zeroCounts } from '../llm';
import { RedisConnection } from './redis-connection';
import {
  ChainStateMessage,
  RouteStateTransport,
  SharedChainState,
} from './shared-route-state.store';
import {
  checkedChainState,
  checkedMessage,
  RejectedStateError,
  RejectionReason,
  SharedStateEnvelope,
} from './shared-state-envelope';

/** Per-request chains nobody uses any more fall out of Redis after a week. */
const KEY_TTL_SECONDS = 7 * 86_400;
/** The longest chain the counts of a chain with no stored state are read for. */
const MAX_CHAIN_ROUTES = 64;

/**
 * Route state over Redis: a chain's latest state is a JSON string key, announced on one pub/sub channel in the same
 * MULTI (so the stored value and the announcements keep one order); its counts are a hash of `route:field` totals.
 */
export class RedisRouteStateTransport implements RouteStateTransport {
  readonly origin: string;
  private readonly channel: string;

  /**
   * Every value written is sealed with `envelope` (HMAC); every value read or received is opened and checked before
   * it is applied, and one that fails is dropped and reported to `rejected`, never applied.
   */
  constructor(
    private readonly redis: RedisConnection,
    private readonly envelope: SharedStateEnvelope,
    private readonly rejected: (reason: RejectionReason) => void = () => undefined,
  ) {
    this.origin = redis.podId;
    this.channel = redis.key('route-state');
  }

  up(): boolean {
    return this.redis.up;
  }

  async publish(
    chain: string,
    state: SharedChainState | undefined,
    deltas: RouteCounts[],
  ): Promise<RouteCounts[]> {
    const client = this.client();
    const countsKey = this.redis.key('route-counts', chain);
    const multi = client.multi();
    if (state) {
      const message: ChainStateMessage = { origin: this.origin, chain, state };
      multi.set(
        this.redis.key('route-state', chain),
        this.envelope.seal(state),
        'EX',
        KEY_TTL_SECONDS,
      );
      multi.publish(this.channel, this.envelope.seal(message));
    }
    deltas.forEach((delta, index) => {
      for (const field of COUNT_FIELDS)
        if (delta[field] !== 0) multi.hincrby(countsKey, `${index}:${field}`, delta[field]);
    });
    multi.expire(countsKey, KEY_TTL_SECONDS);
    multi.hgetall(countsKey);
    const results = await multi.exec();
    if (!results) throw new Error('Redis transaction aborted');
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0] as Error;
    const [, totals] = results[results.length - 1];
    return parseCounts(totals as Record<string, string>, deltas.length);
  }

  async read(
    chain: string,
  ): Promise<{ state: SharedChainState | undefined; counts: RouteCounts[] }> {
    const client = this.client();
    const [state, counts] = await Promise.all([
      client.get(this.redis.key('route-state', chain)),
      client.hgetall(this.redis.key('route-counts', chain)),
    ]);
    const checked =
      state === null ? undefined : this.checked(() => checkedChainState(this.envelope.open(state)));
    const routes = checked?.routes.length ?? 0;
    return {
      state: checked,
      counts: parseCounts(counts, routes, checked ? routes : MAX_CHAIN_ROUTES),
    };
  }

  onState(listener: (message: ChainStateMessage) => void): void {
    this.redis.subscribe(this.channel, (raw) => {
      const message = this.checked(() => checkedMessage(this.envelope.open(raw)));
      if (message) listener(message);
    });
  }

  onConnect(listener: () => void): void {
    this.redis.onConnect(listener);
  }

  status(): SharedStateStatus {
    return {
      mode: this.redis.mode,
      ...(this.redis.label ? { backend: this.redis.label } : {}),
      ...(this.redis.since ? { since: this.redis.since.toISOString() } : {}),
    };
  }

  /** The value, or undefined (reported) when it is not one to apply. */
  private checked<T>(read: () => T): T | undefined {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof RejectedStateError)) throw error;
      this.rejected(error.reason);
      return undefined;
    }
  }

  private client() {
    if (!this.redis.client) throw new Error('Redis is not configured');
    return this.redis.client;
  }
}

/** The shared counts of a chain of `routes` routes (at most `bound` when its length is not known yet). */
function parseCounts(hash: Record<string, string>, routes: number, bound = routes): RouteCounts[] {
  const counts: RouteCounts[] = [];
  for (const [field, value] of Object.entries(hash)) {
    const [index, name] = field.split(':');
    const position = Number(index);
    // Counts only inform the status page; still, nothing out of the chain's bounds is taken.
    if (!Number.isInteger(position) || position < 0 || position >= bound) continue;
    if (!COUNT_FIELDS.includes(name as keyof RouteCounts)) continue;
    if (!/^\d{1,15}$/.test(value)) continue;
    while (counts.length <= position) counts.push(zeroCounts());
    counts[position][name as keyof RouteCounts] = Number(value);
  }
  while (counts.length < routes) counts.push(zeroCounts());
  return counts;
}
