import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
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
    ConfigModule.forRoot({ ignoreEnvFile: true, load: [appConfig], cache: false }),
    MetricsModule,
    DatabaseModule,
    LlmModule,
    ProfilesModule,
    CoursesModule,
    LessonsModule,
    OpenAiCompatModule,
    HealthModule,
  ],
})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestIdMiddleware).forRoutes('*path');
  }
}
