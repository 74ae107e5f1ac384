import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfiguration } from './app.configuration';
import { ApiKeyGuard } from './common/api-key.guard';
import { RequestIdMiddleware } from './common/request-id.middleware';
import { RequestLoggingMiddleware } from './common/request-logging.middleware';
import { TracingMiddleware } from './common/tracing.middleware';
import { ConfigurationModule } from './config/configuration.module';
import { CoursesModule } from './courses/courses.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LessonsModule } from './lessons/lessons.module';
import { LlmModule } from './llm';
import { MetricsModule } from './metrics/metrics.module';
import { OpenAiCompatModule } from './openai-compat/openai-compat.module';
import { ProfilesModule } from './profiles/profiles.module';
import { SpendModule } from './spend/spend.module';

/** The service: its modules wired from one validated configuration (see app.configuration.ts). */
@Module({})
export class AppModule implements NestModule {
  static forRoot(configuration: AppConfiguration): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigurationModule.forRoot(configuration),
        ThrottlerModule.forRoot([
          { ttl: 60_000, limit: configuration.security.rateLimitPerMinute },
        ]),
        MetricsModule,
        DatabaseModule,
        LlmModule.forRoot(configuration.llm),
        ProfilesModule,
        CoursesModule,
        LessonsModule,
        OpenAiCompatModule,
        HealthModule,
        SpendModule,
      ],
      providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(RequestIdMiddleware, TracingMiddleware, RequestLoggingMiddleware)
      .forRoutes('*path');
  }
}
