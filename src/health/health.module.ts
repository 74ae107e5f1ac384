import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { StatusController } from './status.controller';
import { DependencyMetrics } from './dependency-metrics';
import { EventLoopIndicator } from './event-loop.indicator';
import { LifecycleService } from './lifecycle.service';

@Module({
  imports: [TerminusModule],
  controllers: [HealthController, StatusController],
  providers: [LifecycleService, EventLoopIndicator, DependencyMetrics],
})
export class HealthModule {}
