import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { EventLoopIndicator } from './event-loop.indicator';
import { LifecycleService } from './lifecycle.service';

@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [LifecycleService, EventLoopIndicator],
})
export class HealthModule {}
