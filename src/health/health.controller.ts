import { getHeapStatistics } from 'node:v8';
import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  MemoryHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../common/api-key.guard';
import { DatabaseService } from '../database/database.service';
import { LlmStatus, LlmStatusService } from '../llm';
import { asSchema } from '../openapi/api-docs.decorators';
import { EventLoopIndicator } from './event-loop.indicator';
import { healthSchema } from './health.schema';
import { LifecycleService } from './lifecycle.service';

/**
 * Heap ceiling for liveness: 90 % of the process's own V8 heap limit (`--max-old-space-size`, 384 MB in the image),
 * so a leaking pod is restarted before it dies of an out-of-memory crash mid-request. A fixed byte count would be
 * unreachable under a small limit and too low for a process that legitimately runs with a large one.
 */
const HEAP_LIMIT_BYTES = Math.floor(0.9 * getHeapStatistics().heap_size_limit);

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly memory: MemoryHealthIndicator,
    private readonly database: DatabaseService,
    private readonly lifecycle: LifecycleService,
    private readonly llmStatus: LlmStatusService,
    private readonly eventLoop: EventLoopIndicator,
  ) {}

  /** Liveness: the process answers and its heap is sane. Never depends on a provider or the database. */
  @Public()
  @Get('live')
  @ApiOperation({ summary: 'Liveness (event loop, heap); never a provider or the database' })
  @ApiResponse({ status: 200, description: 'Alive', schema: asSchema(healthSchema) })
  @ApiResponse({ status: 503, description: 'Wedged: restart me', schema: asSchema(healthSchema) })
  @HealthCheck()
  live() {
    return this.health.check([
      () => this.eventLoop.check(),
      () => this.memory.checkHeap('heap', HEAP_LIMIT_BYTES),
    ]);
  }

  /**
   * Readiness: booted, database reachable, not shutting down. Deliberately not the LLM providers: every pod shares
   * them, and failing readiness on a provider outage would turn clear 503 answers into connection errors.
   */
  @Public()
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: booted, database reachable, not shutting down (not the providers)',
  })
  @ApiResponse({ status: 200, description: 'Ready', schema: asSchema(healthSchema) })
  @ApiResponse({
    status: 503,
    description: 'Booting, shutting down or database unreachable',
    schema: asSchema(healthSchema),
  })
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const check = this.indicators.check('lifecycle');
        return this.lifecycle.ready
          ? check.up()
          : check.down({ reason: this.lifecycle.isShuttingDown ? 'shutting down' : 'booting' });
      },
      async () => {
        const check = this.indicators.check('database');
        try {
          await this.database.ping();
          return check.up();
        } catch {
          // Public: it says that the database is unreachable, not which one it is.
          return check.down({ reason: 'unreachable' });
        }
      },
    ]);
  }

  /**
   * For people and dashboards, not probes: the chain, each route's state and the sticky route. No key material.
   * Needs an API key when API_KEYS is set (it tells which providers and models the service uses).
   */
  @ApiSecurity('apiKey')
  @Get('llm')
  @ApiOperation({
    summary: 'Routes, states, sticky route, last probes and counts (for people and dashboards)',
  })
  @ApiResponse({ status: 200, description: 'The LLM layer state' })
  llm(): LlmStatus {
    return this.llmStatus.status();
  }
}
