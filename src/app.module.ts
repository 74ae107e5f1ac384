import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfiguration } from './app.configuration';
import { ApiKeyGuard } from './common/api-key.guard';
import { AUTH_GATE, AuthGate } from './common/auth-gate';
import { EventStreamModule } from './common/event-stream';
import { FixedWindowThrottlerStorage } from './common/fixed-window-throttler.storage';
import { ConfigurationModule } from './config/configuration.module';
import { CoordinationModule, SharedLlmState } from './coordination/coordination.module';
import { RedisConnection } from './coordination/redis-connection';
import { RedisThrottlerStorage } from './coordination/redis-throttler.storage';
import { CoursesModule } from './courses/courses.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LessonsModule } from './lessons/lessons.module';
import { LlmModule } from './llm';
import { MetricsModule } from './metrics/metrics.module';
import { OpenAiCompatModule } from './openai-compat/openai-compat.module';
import { ProfilesModule } from './profiles/profiles.module';
import { EmbeddedSimulator, EmbeddedSimulatorModule } from './simulated-providers';
import { SpendModule } from './spend/spend.module';

/** The service: its modules wired from one validated configuration (see app.configuration.ts). */
@Module({})
export class AppModule {
  static forRoot(configuration: AppConfiguration): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigurationModule.forRoot(configuration),
        MetricsModule,
        EventStreamModule,
        CoordinationModule.forRoot({ probeIntervalMs: configuration.llm.probes.intervalMs }),
        // Counters in Redis when REDIS_URL is set (one limit for the whole deployment), in-process otherwise; both
        // fixed windows of a minute.
        ThrottlerModule.forRootAsync({
          inject: [RedisConnection, RedisThrottlerStorage],
          useFactory: (redis: RedisConnection, storage: RedisThrottlerStorage) => ({
            throttlers: [{ ttl: 60_000, limit: configuration.security.rateLimitPerMinute }],
            storage: redis.configured ? storage : new FixedWindowThrottlerStorage(),
          }),
        }),
        DatabaseModule,
        // Route state and probes shared with the other replicas when REDIS_URL is set; with no provider key, every
        // provider is the simulator, started here (the LLM layer does not know it).
        LlmModule.forRootAsync({
          imports: [EmbeddedSimulatorModule],
          inject: [SharedLlmState, EmbeddedSimulator],
          useFactory: async (shared: SharedLlmState, simulator: EmbeddedSimulator) => ({
            ...(await simulator.serve(configuration.llm)),
            ...shared.llmOptions(),
          }),
        }),
        ProfilesModule,
        CoursesModule,
        LessonsModule,
        OpenAiCompatModule,
        HealthModule,
        SpendModule,
      ],
      providers: [
        {
          provide: AUTH_GATE,
          useValue: new AuthGate(
            configuration.security.apiKeys,
            configuration.security.authFailuresPerMinute,
          ),
        },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
    };
  }
}
