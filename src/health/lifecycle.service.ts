import { setTimeout as sleep } from 'node:timers/promises';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { SERVER_CONFIG, ServerConfig } from '../config/server.config';

/**
 * Whether the app has finished booting and whether it is shutting down; readiness reads it. On shutdown it first
 * turns readiness to 503 and waits SHUTDOWN_DRAIN_MS, so Kubernetes stops routing new requests here before the
 * HTTP server closes; in-flight requests then finish before the process exits.
 */
@Injectable()
export class LifecycleService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(LifecycleService.name);
  private booted = false;
  private shuttingDown = false;

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: Pick<ServerConfig, 'shutdownDrainMs'>,
  ) {}

  onApplicationBootstrap(): void {
    this.booted = true;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.shuttingDown = true;
    this.logger.log(
      `Shutting down${signal ? ` on ${signal}` : ''}: readiness reports 503; draining for ${this.config.shutdownDrainMs} ms`,
    );
    if (this.config.shutdownDrainMs > 0) await sleep(this.config.shutdownDrainMs);
  }

  get ready(): boolean {
    return this.booted && !this.shuttingDown;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
