import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { ApiKeyGuard } from './common/api-key.guard';
import { RequestLoggingMiddleware } from './common/request-logging.middleware';
import { securityConfig } from './config/security.config';
import { RequestIdMiddleware } from './common/request-id.middleware';
import { appConfig } from './config/app.config';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LlmModule } from './llm/llm.module';
import { MetricsModule } from './metrics/metrics.module';
import { ProfilesModule } from './profiles/profiles.module';
import { CoursesModule } from './courses/courses.module';
import { LessonsModule } from './lessons/lessons.module';
import { OpenAiCompatModule } from './openai-compat/openai-compat.module';

@Module({
  imports: [
    // Configuration comes from the environment only; each namespace validates itself at boot.
    ConfigModule.forRoot({ ignoreEnvFile: true, load: [appConfig, securityConfig], cache: false }),
    ThrottlerModule.forRootAsync({
      imports: [ConfigModule.forFeature(securityConfig)],
      inject: [securityConfig.KEY],
      useFactory: (security: ConfigType<typeof securityConfig>) => [
        { ttl: 60_000, limit: security.rateLimitPerMinute },
      ],
    }),
    MetricsModule,
    DatabaseModule,
    LlmModule,
    ProfilesModule,
    CoursesModule,
    LessonsModule,
    OpenAiCompatModule,
    HealthModule,
  ],
  providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }],
})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestIdMiddleware, RequestLoggingMiddleware).forRoutes('*path');
  }
}
