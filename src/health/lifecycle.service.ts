import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';

/** Whether the app has finished booting and whether it is shutting down; readiness reads it. */
@Injectable()
export class LifecycleService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(LifecycleService.name);
  private booted = false;
  private shuttingDown = false;

  onApplicationBootstrap(): void {
    this.booted = true;
  }

  beforeApplicationShutdown(signal?: string): void {
    this.shuttingDown = true;
    this.logger.log(`Shutting down${signal ? ` on ${signal}` : ''}: readiness now reports 503`);
  }

  get ready(): boolean {
    return this.booted && !this.shuttingDown;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
