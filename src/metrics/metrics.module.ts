import { createServer, Server } from 'node:http';
import {
  Controller,
  Get,
  Global,
  Header,
  Inject,
  Injectable,
  Logger,
  Module,
  NotFoundException,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Public } from '../common/api-key.guard';
import { OBSERVABILITY_CONFIG, ObservabilityConfig } from '../config/observability.config';

/** One Prometheus registry per app (not prom-client's global one), with the process's default metrics. */
function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Without the service's configuration (LlmModule alone in another app): metrics on the app's own port. */
const NO_PORT: Pick<ObservabilityConfig, 'metricsPort'> = { metricsPort: undefined };

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

@ApiTags('metrics')
@Controller('metrics')
@Public()
export class MetricsController {
  constructor(
    private readonly registry: Registry,
    @Optional()
    @Inject(OBSERVABILITY_CONFIG)
    private readonly config: Pick<ObservabilityConfig, 'metricsPort'> = NO_PORT,
  ) {}

  /** Prometheus text format; on the management port instead when METRICS_PORT is set. */
  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics (text format; on METRICS_PORT instead when it is set)',
  })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text exposition format' })
  @ApiResponse({ status: 404, description: 'METRICS_PORT is set: scrape that port' })
  @Header('Content-Type', CONTENT_TYPE)
  async metrics(): Promise<string> {
    if (this.config.metricsPort !== undefined)
      throw new NotFoundException(`Metrics are served on the management port (METRICS_PORT)`);
    return this.registry.metrics();
  }
}

/**
 * METRICS_PORT: a management port serving only GET /metrics, so the scrape endpoint is never exposed with the API
 * (no API key, no rate limit, nothing else on it).
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server: Server | undefined;

  constructor(
    private readonly registry: Registry,
    @Optional()
    @Inject(OBSERVABILITY_CONFIG)
    private readonly config: Pick<ObservabilityConfig, 'metricsPort'> = NO_PORT,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.metricsPort;
    if (port === undefined) return;
    const server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': CONTENT_TYPE }).end(text),
        () => response.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, () => resolve());
    });
    this.server = server;
    this.logger.log(`Metrics on the management port ${port} (GET /metrics)`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

@Global()
@Module({
  providers: [{ provide: Registry, useFactory: createRegistry }, MetricsServer],
  controllers: [MetricsController],
  exports: [Registry],
})
export class MetricsModule {}
