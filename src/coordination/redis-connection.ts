import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import { Gauge, Registry } from 'prom-client';
import { COORDINATION_CONFIG, CoordinationConfig } from '../config/coordination.config';

/** `local`: no REDIS_URL; `shared`: connected; `degraded`: configured but unreachable (each pod on its own state). */
export type CoordinationMode = 'local' | 'shared' | 'degraded';

/**
 * Commands fail fast instead of queueing while Redis is away: every caller has a local fallback, and a request must
 * never wait for a reconnect. The client reconnects by itself, with backoff up to 2 s.
 */
const COMMAND_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 1_000,
  connectTimeout: 2_000,
  retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
  lazyConnect: true,
};

/**
 * The service's one Redis connection (two sockets: commands, and pub/sub subscriptions), when REDIS_URL is set.
 * Redis coordinates replicas; serving never depends on it: while it is unreachable `up` is false, callers use their
 * local state, the mode is `degraded` (logged once per transition, shown in /health/llm and the
 * `llm_shared_state_up` gauge), and the client keeps reconnecting; `onConnect` listeners then re-sync.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnection.name);
  /** This process among the replicas: lease and lock owner, origin of published state. */
  readonly podId = randomUUID();
  readonly client: Redis | undefined;
  private readonly subscriber: Redis | undefined;
  private readonly channelHandlers = new Map<string, (message: string) => void>();
  private readonly connectListeners: Array<() => void> = [];
  private connected = false;
  private changedAt: Date | undefined;
  private everConnected = false;
  private closing = false;

  constructor(
    @Inject(COORDINATION_CONFIG) private readonly config: CoordinationConfig,
    registry: Registry,
  ) {
    if (config.redisUrl === undefined) return;
    this.client = new Redis(config.redisUrl, { ...COMMAND_OPTIONS, connectionName: 'commands' });
    // Subscriptions queue until connected and are restored by the client after a reconnect.
    this.subscriber = new Redis(config.redisUrl, {
      ...COMMAND_OPTIONS,
      enableOfflineQueue: true,
      connectionName: 'subscriptions',
    });
    this.client.on('ready', () => this.transition(true));
    this.client.on('close', () => this.transition(false));
    // Without listeners ioredis prints every connection error; the transitions above say it once.
    this.client.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, message: string) =>
      this.channelHandlers.get(channel)?.(message),
    );
    const up = () => (this.connected ? 1 : 0);
    new Gauge({
      name: 'llm_shared_state_up',
      help: 'Whether the shared state store (Redis) is reachable: 1 in sync, 0 degraded (each pod on local state)',
      registers: [registry],
      collect() {
        this.set(up());
      },
    });
    this.client.connect().catch(() => this.transition(false));
    this.subscriber.connect().catch(() => undefined);
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  /** Commands may be sent now. */
  get up(): boolean {
    return this.connected;
  }

  get mode(): CoordinationMode {
    if (!this.configured) return 'local';
    return this.connected ? 'shared' : 'degraded';
  }

  get label(): string | undefined {
    return this.config.redisLabel;
  }

  get since(): Date | undefined {
    return this.changedAt;
  }

  /** A key or channel name under REDIS_KEY_PREFIX. */
  key(...parts: string[]): string {
    return [this.config.keyPrefix, ...parts].join(':');
  }

  /** Delivers every message published on `channel` (one handler per channel). */
  subscribe(channel: string, handler: (message: string) => void): void {
    if (!this.subscriber) return;
    this.channelHandlers.set(channel, handler);
    this.subscriber.subscribe(channel).catch(() => undefined);
  }

  /** Called on every (re)connection: time to load or re-sync what was missed while away. */
  onConnect(listener: () => void): void {
    this.connectListeners.push(listener);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.client?.disconnect();
    this.subscriber?.disconnect();
  }

  private transition(connected: boolean): void {
    if (this.closing || connected === this.connected) {
      if (!connected && !this.everConnected && this.changedAt === undefined) {
        this.changedAt = new Date();
        this.logger.warn(
          `${this.label} is unreachable; each replica keeps its own route state and limits until it answers`,
        );
      }
      return;
    }
    this.connected = connected;
    this.changedAt = new Date();
    if (connected) {
      const reconnect = this.everConnected;
      this.everConnected = true;
      this.logger.log(
        reconnect
          ? `${this.label} answers again; re-syncing shared state`
          : `Sharing route state, limits and generation locks through ${this.label}`,
      );
      for (const listener of this.connectListeners) listener();
    } else {
      this.logger.warn(
        `${this.label} is unreachable; each replica keeps its own route state and limits until it answers`,
      );
    }
  }
}
