import { BeforeApplicationShutdown, DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { COORDINATION_CONFIG, CoordinationConfig } from '../config/coordination.config';
import type { LlmModuleOptions } from '../llm';
import { GenerationLocks } from './generation-locks';
import { RedisConnection } from './redis-connection';
import { RedisKeyStateStore } from './redis-key-state.store';
import { RedisProbeLease } from './redis-probe-lease';
import { RedisRetryCounts } from './redis-retry-counts';
import { RedisRouteStateTransport } from './redis-route-state.transport';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { SharedRouteStateStore } from './shared-route-state.store';
import { SharedStateEnvelope } from './shared-state-envelope';

/**
 * What the LLM layer shares with the other replicas when REDIS_URL is set: its route state and the probe lease.
 * Without Redis both stay undefined and the LLM layer keeps its in-process defaults.
 */
export class SharedLlmState implements BeforeApplicationShutdown {
  readonly routeStateStore: SharedRouteStateStore | undefined;
  readonly probeLease: RedisProbeLease | undefined;
  readonly keyStateStore: RedisKeyStateStore | undefined;
  readonly retryCounts: RedisRetryCounts | undefined;

  constructor(
    redis: RedisConnection,
    probeIntervalMs: number,
    config: Pick<CoordinationConfig, 'sharedSecret' | 'developmentSecret'>,
    registry: Registry,
  ) {
    if (!redis.configured) return;
    if (config.developmentSecret)
      new Logger(SharedLlmState.name).warn(
        'Shared route state is signed with the development secret: set REDIS_SHARED_SECRET before anyone else can reach this Redis',
      );
    const rejected = new Counter({
      name: 'llm_shared_state_rejected_total',
      help: 'Shared route state from Redis that was dropped, never applied: not signed with REDIS_SHARED_SECRET, or not of a valid shape',
      labelNames: ['reason'],
      registers: [registry],
    });
    const envelope = new SharedStateEnvelope(config.sharedSecret);
    const transport = new RedisRouteStateTransport(redis, envelope, (reason) =>
      rejected.inc({ reason }),
    );
    this.keyStateStore = new RedisKeyStateStore(redis, envelope, (reason) =>
      rejected.inc({ reason }),
    );
    this.routeStateStore = new SharedRouteStateStore(transport);
    this.retryCounts = new RedisRetryCounts(redis);
    this.probeLease = new RedisProbeLease(redis, probeIntervalMs);
  }

  /** The LLM module's options that plug the shared state in. */
  llmOptions(): Pick<
    LlmModuleOptions,
    'routeStateStore' | 'probeLease' | 'keyStateStore' | 'retryCountStore'
  > {
    return {
      routeStateStore: this.routeStateStore,
      probeLease: this.probeLease,
      keyStateStore: this.keyStateStore,
      retryCountStore: this.retryCounts,
    };
  }

  /** The last changes go out, and the probe lease is handed back so another replica takes over at once. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.routeStateStore?.flush();
    this.routeStateStore?.close();
    await this.probeLease?.release();
    this.retryCounts?.stop();
    await this.retryCounts?.sync();
  }
}

/**
 * Coordination between replicas (REDIS_URL): the Redis connection, shared route state and probe lease for the LLM
 * layer, generation locks for profiles and lessons, shared rate-limit storage. Global: imported once by AppModule.
 */
@Global()
@Module({})
export class CoordinationModule {
  static forRoot(options: { probeIntervalMs: number }): DynamicModule {
    return {
      module: CoordinationModule,
      providers: [
        RedisConnection,
        GenerationLocks,
        {
          provide: SharedLlmState,
          inject: [RedisConnection, COORDINATION_CONFIG, Registry],
          useFactory: (redis: RedisConnection, config: CoordinationConfig, registry: Registry) =>
            new SharedLlmState(redis, options.probeIntervalMs, config, registry),
        },
        {
          provide: RedisThrottlerStorage,
          inject: [RedisConnection],
          useFactory: (redis: RedisConnection) => new RedisThrottlerStorage(redis),
        },
      ],
      exports: [RedisConnection, GenerationLocks, SharedLlmState, RedisThrottlerStorage],
    };
  }
}
