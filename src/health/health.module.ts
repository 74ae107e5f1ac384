import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SpendModule } from '../spend/spend.module';
import { DependencyMetrics } from './dependency-metrics';
import { EventLoopIndicator } from './event-loop.indicator';
import { HealthController } from './health.controller';
import { HomeController } from './home.controller';
import { LifecycleService } from './lifecycle.service';
import { StatusController } from './status.controller';

@Module({
  imports: [TerminusModule, SpendModule],
  controllers: [HealthController, StatusController, HomeController],
  providers: [LifecycleService, EventLoopIndicator, DependencyMetrics],
})
export class HealthModule {}
