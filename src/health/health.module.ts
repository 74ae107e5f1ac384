import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LlmModule } from '../llm/llm.module';
import { HealthController } from './health.controller';
import { LifecycleService } from './lifecycle.service';

@Module({
  imports: [TerminusModule, LlmModule],
  controllers: [HealthController],
  providers: [LifecycleService],
})
export class HealthModule {}
