import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';

/** A p99 event-loop delay above this means the process is wedged, not merely busy. */
const MAX_P99_DELAY_MS = 2_000;

/** Liveness input: event-loop delay since the previous check (or since boot finished: boot itself blocks the loop). */
@Injectable()
export class EventLoopIndicator implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly histogram = monitorEventLoopDelay({ resolution: 20 });

  constructor(private readonly indicators: HealthIndicatorService) {
    this.histogram.enable();
  }

  onApplicationBootstrap(): void {
    this.histogram.reset();
  }

  check() {
    const check = this.indicators.check('eventLoop');
    const p99Ms = Math.round(this.histogram.percentile(99) / 1e6);
    this.histogram.reset();
    return p99Ms <= MAX_P99_DELAY_MS
      ? check.up({ p99DelayMs: p99Ms })
      : check.down({ p99DelayMs: p99Ms });
  }

  onModuleDestroy(): void {
    this.histogram.disable();
  }
}
