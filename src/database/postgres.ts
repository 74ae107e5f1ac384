import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { Pool, PoolClient } from 'pg';
import { DatabaseConfig } from '../config/database.config';
import { classifyDatabaseError, isDatabaseUnavailable } from './database-faults';
import { MIGRATIONS_FOLDER } from './migrations';
import * as schema from './schema';

type PostgresConfig = Extract<DatabaseConfig, { kind: 'postgres' }>;

/** The advisory lock replicas take around migrations (an arbitrary, fixed 64-bit key: "llm-backend migrations"). */
const MIGRATION_LOCK_KEY = '7419362718830054113';
const BOOT_BACKOFF_MS = { first: 250, max: 5_000 };

/**
 * A pool with bounded waits (connect, statement, read), whose connection faults reject with
 * DatabaseUnavailableError (503), which has an 'error' listener (a restart or failover must not kill the process),
 * and whose migrations ran once, under an advisory lock. Boot retries an unreachable server with backoff until
 * DATABASE_BOOT_DEADLINE_MS, so a pod that starts before its database waits instead of crash-looping.
 */
export async function openPostgres(config: PostgresConfig, logger: Logger): Promise<Pool> {
  const pool = new Pool({
    connectionString: config.url,
    max: config.poolSize,
    connectionTimeoutMillis: config.connectTimeoutMs,
    // The server cancels a statement after this; the client gives up a little later if the server never answers.
    statement_timeout: config.statementTimeoutMs,
    query_timeout: config.statementTimeoutMs + 1_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection (a server restart, a failover) emits 'error' on the pool; without a
  // listener Node treats it as an uncaught exception and the process exits. The pool drops that client and opens
  // a new one on the next query, so logging it is all there is to do.
  pool.on('error', (error: Error & { code?: string }) =>
    logger.warn(
      `An idle database connection was lost${error.code ? ` (${error.code})` : ''}; the pool will reconnect`,
    ),
  );
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  pool.query = ((...args: unknown[]) => {
    const result = query(...args);
    return result instanceof Promise
      ? result.catch((error: unknown) => {
          throw classifyDatabaseError(error);
        })
      : result;
  }) as Pool['query'];
  try {
    const client = await connectWithBackoff(pool, config, logger);
    try {
      await migrateUnderLock(client);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return pool;
}

async function connectWithBackoff(
  pool: Pool,
  config: PostgresConfig,
  logger: Logger,
): Promise<PoolClient> {
  const started = Date.now();
  let wait = BOOT_BACKOFF_MS.first;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await pool.connect();
    } catch (error) {
      const elapsed = Date.now() - started;
      if (!isDatabaseUnavailable(error) || elapsed + wait > config.bootDeadlineMs) throw error;
      const code = (error as { code?: string }).code;
      logger.warn(
        `${config.label} is unreachable${code ? ` (${code})` : ''}; retrying in ${wait} ms (attempt ${attempt}, boot deadline ${config.bootDeadlineMs} ms)`,
      );
      await sleep(wait);
      wait = Math.min(wait * 2, BOOT_BACKOFF_MS.max);
    }
  }
}

/**
 * Runs the migrations on one connection while holding a session advisory lock: replicas booting together take
 * turns, and the ones after the first find nothing left to do. The lock goes with the session if the pod dies.
 */
export async function migrateUnderLock(client: PoolClient): Promise<void> {
  await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await migrate(drizzle({ client, schema }), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await client
      .query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
  }
}
