import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { DatabaseConfig } from '../config/database.config';
import { openPglite } from './embedded';
import { MIGRATIONS_FOLDER } from './migrations';
import { openPostgres } from './postgres';
import * as schema from './schema';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/**
 * One PostgreSQL-dialect database: embedded PGlite by default, a PostgreSQL server with DATABASE_URL=postgres://.
 * Migrations run at boot, before the app takes traffic.
 */
export class DatabaseService implements OnApplicationShutdown {
  private static readonly logger = new Logger(DatabaseService.name);

  private constructor(
    readonly db: Database,
    private readonly closeClient: () => Promise<void>,
    readonly label: string,
  ) {}

  static async open(config: DatabaseConfig): Promise<DatabaseService> {
    const started = performance.now();
    let service: DatabaseService;
    if (config.kind === 'pglite') {
      const client = await openPglite(config.dataDir);
      const { drizzle: drizzlePglite } = await import('drizzle-orm/pglite');
      const { migrate: migratePglite } = await import('drizzle-orm/pglite/migrator');
      const db = drizzlePglite({ client, schema });
      await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
      service = new DatabaseService(db, () => client.close(), config.label);
    } else {
      const pool = await openPostgres(config, DatabaseService.logger);
      const db = drizzlePostgres({ client: pool, schema });
      service = new DatabaseService(db, () => pool.end(), config.label);
    }
    DatabaseService.logger.log(
      `Database ready: ${config.label} (${Math.round(performance.now() - started)} ms)`,
    );
    return service;
  }

  /** A round trip to the database, for readiness. */
  async ping(): Promise<void> {
    await this.db.execute(sql`select 1`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.closeClient();
  }
}
