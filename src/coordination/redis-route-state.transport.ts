import type { RouteCounts, SharedStateStatus } from '../llm';
import { COUNT_FIELDS, zeroCounts } from '../llm';
import { RedisConnection } from './redis-connection';
import {
  ChainStateMessage,
  RouteStateTransport,
  SharedChainState,
} from './shared-route-state.store';

/** Per-request chains nobody uses any more fall out of Redis after a week. */
const KEY_TTL_SECONDS = 7 * 86_400;

/**
 * Route state over Redis: a chain's latest state is a JSON string key, announced on one pub/sub channel in the same
 * MULTI (so the stored value and the announcements keep one order); its counts are a hash of `route:field` totals.
 */
export class RedisRouteStateTransport implements RouteStateTransport {
  readonly origin: string;
  private readonly channel: string;

  constructor(private readonly redis: RedisConnection) {
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
      multi.set(this.redis.key('route-state', chain), JSON.stringify(state), 'EX', KEY_TTL_SECONDS);
      multi.publish(this.channel, JSON.stringify(message));
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
    const routes = state ? (JSON.parse(state) as SharedChainState).routes.length : 0;
    return {
      state: state ? (JSON.parse(state) as SharedChainState) : undefined,
      counts: parseCounts(counts, routes),
    };
  }

  onState(listener: (message: ChainStateMessage) => void): void {
    this.redis.subscribe(this.channel, (raw) => {
      try {
        listener(JSON.parse(raw) as ChainStateMessage);
      } catch {
        // Not ours (another version's format): ignored.
      }
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

  private client() {
    if (!this.redis.client) throw new Error('Redis is not configured');
    return this.redis.client;
  }
}

function parseCounts(hash: Record<string, string>, routes: number): RouteCounts[] {
  const counts: RouteCounts[] = [];
  for (const [field, value] of Object.entries(hash)) {
    const [index, name] = field.split(':');
    const position = Number(index);
    if (!Number.isInteger(position) || !COUNT_FIELDS.includes(name as keyof RouteCounts)) continue;
    while (counts.length <= position) counts.push(zeroCounts());
    counts[position][name as keyof RouteCounts] = Number(value);
  }
  while (counts.length < routes) counts.push(zeroCounts());
  return counts;
}
