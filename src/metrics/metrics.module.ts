import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/api-key.guard';
import { Controller, Get, Global, Header, Module } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** One Prometheus registry per app (not prom-client's global one), with the process's default metrics. */
function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

@ApiTags('metrics')
@Controller('metrics')
@Public()
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  /** Prometheus text format. */
  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (text format)' })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text exposition format' })
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

@Global()
@Module({
  providers: [{ provide: Registry, useFactory: createRegistry }],
  controllers: [MetricsController],
  exports: [Registry],
})
export class MetricsModule {}
