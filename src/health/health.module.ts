import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { appConfig } from '../config/app.config';
import { LlmModule } from '../llm/llm.module';
import { HealthController } from './health.controller';
import { EventLoopIndicator } from './event-loop.indicator';
import { LifecycleService } from './lifecycle.service';

@Module({
  imports: [TerminusModule, LlmModule, ConfigModule.forFeature(appConfig)],
  controllers: [HealthController],
  providers: [LifecycleService, EventLoopIndicator],
})
export class HealthModule {}
