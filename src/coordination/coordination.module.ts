import { BeforeApplicationShutdown, DynamicModule, Global, Module } from '@nestjs/common';
import type { LlmModuleOptions } from '../llm';
import { GenerationLocks } from './generation-locks';
import { RedisConnection } from './redis-connection';
import { RedisProbeLease } from './redis-probe-lease';
import { RedisRouteStateTransport } from './redis-route-state.transport';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { SharedRouteStateStore } from './shared-route-state.store';

/**
 * What the LLM layer shares with the other replicas when REDIS_URL is set: its route state and the probe lease.
 * Without Redis both stay undefined and the LLM layer keeps its in-process defaults.
 */
export class SharedLlmState implements BeforeApplicationShutdown {
  readonly routeStateStore: SharedRouteStateStore | undefined;
  readonly probeLease: RedisProbeLease | undefined;

  constructor(redis: RedisConnection, probeIntervalMs: number) {
    if (!redis.configured) return;
    this.routeStateStore = new SharedRouteStateStore(new RedisRouteStateTransport(redis));
    this.probeLease = new RedisProbeLease(redis, probeIntervalMs);
  }

  /** The LLM module's options that plug the shared state in. */
  llmOptions(): Pick<LlmModuleOptions, 'routeStateStore' | 'probeLease'> {
    return { routeStateStore: this.routeStateStore, probeLease: this.probeLease };
  }

  /** The last changes go out, and the probe lease is handed back so another replica takes over at once. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.routeStateStore?.flush();
    this.routeStateStore?.close();
    await this.probeLease?.release();
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
          inject: [RedisConnection],
          useFactory: (redis: RedisConnection) =>
            new SharedLlmState(redis, options.probeIntervalMs),
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
