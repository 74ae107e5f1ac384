import { Injectable } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { DatabaseService } from '../database/database.service';

/** How long a scrape waits for the database before calling it down. */
const PING_TIMEOUT_MS = 1_000;

/** `service_dependency_up{dependency}`: 1 when the dependency answers at scrape time (the database today). */
@Injectable()
export class DependencyMetrics {
  constructor(registry: Registry, database: DatabaseService) {
    new Gauge({
      name: 'service_dependency_up',
      help: 'Whether a dependency answers (checked at scrape time)',
      labelNames: ['dependency'],
      registers: [registry],
      async collect() {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS);
        });
        const up = await Promise.race([database.ping(), timeout]).then(
          () => 1,
          () => 0,
        );
        clearTimeout(timer);
        this.set({ dependency: 'database' }, up);
      },
    });
  }
}
