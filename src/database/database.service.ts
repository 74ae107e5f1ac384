import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Pool } from 'pg';
import { DatabaseConfig } from '../config/database.config';
import * as schema from './schema';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** The SQL migrations, shared by PGlite and PostgreSQL; the same path from src/ and dist/. */
const MIGRATIONS_FOLDER = resolve(__dirname, '..', '..', 'drizzle');

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
      if (config.dataDir) mkdirSync(config.dataDir, { recursive: true });
      const client = await PGlite.create(config.dataDir);
      const db = drizzlePglite({ client, schema });
      await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
      service = new DatabaseService(db, () => client.close(), config.label);
    } else {
      const pool = new Pool({ connectionString: config.url, max: config.poolSize });
      // An idle client that loses its connection (a server restart, a failover) emits 'error' on the pool; without a
      // listener Node treats it as an uncaught exception and the process exits. The pool drops that client and
      // opens a new one on the next query, so logging it is all there is to do.
      pool.on('error', (error: Error & { code?: string }) =>
        DatabaseService.logger.warn(
          `An idle database connection was lost${error.code ? ` (${error.code})` : ''}; the pool will reconnect`,
        ),
      );
      const db = drizzlePostgres({ client: pool, schema });
      await migratePostgres(db, { migrationsFolder: MIGRATIONS_FOLDER });
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
