import { IsBooleanString, IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { ConfigValidationError, Environment, validateEnvironment } from './validate-environment';

class DatabaseEnvironment {
  @IsOptional()
  @Matches(/^(postgres|postgresql|pglite):\/\/.+/, {
    message: 'DATABASE_URL must start with postgres://, postgresql:// or pglite://',
  })
  DATABASE_URL?: string;

  @IsOptional() @IsInt() @Min(1) @Max(200) DATABASE_POOL_SIZE?: number;
  @IsOptional() @IsInt() @Min(100) @Max(120_000) DATABASE_CONNECT_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(100) @Max(600_000) DATABASE_STATEMENT_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(0) @Max(3_600_000) DATABASE_BOOT_DEADLINE_MS?: number;
  @IsOptional() @IsBooleanString() ALLOW_EMBEDDED_DATABASE?: string;
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
}

/** How a PostgreSQL server is used: bounded waits everywhere, so a dead server turns into 503s, not hung requests. */
export interface PostgresTimeouts {
  /** Opening a connection (DATABASE_CONNECT_TIMEOUT_MS), and waiting for a free pool client. */
  connectTimeoutMs: number;
  /** One statement, server side (statement_timeout) and client side (query_timeout, a little longer). */
  statementTimeoutMs: number;
  /** How long boot keeps retrying an unreachable server, with backoff, before giving up (DATABASE_BOOT_DEADLINE_MS). */
  bootDeadlineMs: number;
}

/** Embedded PGlite (on disk or in memory) or a PostgreSQL server; one schema and one set of migrations for both. */
export type DatabaseConfig =
  | { kind: 'pglite'; dataDir: string | undefined; label: string }
  | ({ kind: 'postgres'; url: string; label: string; poolSize: number } & PostgresTimeouts);

export function loadDatabaseConfig(env: Environment): DatabaseConfig {
  const parsed = validateEnvironment(DatabaseEnvironment, env);
  const url = parsed.DATABASE_URL;
  if (url === undefined || url.startsWith('pglite://')) {
    // PGlite lives in one process: several replicas would each have a database of their own.
    if (parsed.NODE_ENV === 'production' && parsed.ALLOW_EMBEDDED_DATABASE !== 'true')
      throw new ConfigValidationError([
        'DATABASE_URL: with NODE_ENV=production set a postgres:// URL; the embedded database serves one process only (ALLOW_EMBEDDED_DATABASE=true to run it anyway)',
      ]);
  }
  if (url === undefined)
    return { kind: 'pglite', dataDir: './data/pglite', label: 'embedded PGlite at ./data/pglite' };
  if (url.startsWith('pglite://')) {
    const location = url.slice('pglite://'.length);
    return location === 'memory'
      ? { kind: 'pglite', dataDir: undefined, label: 'embedded PGlite in memory' }
      : { kind: 'pglite', dataDir: location, label: `embedded PGlite at ${location}` };
  }
  const host = new URL(url).host;
  return {
    kind: 'postgres',
    url,
    label: `PostgreSQL at ${host}`,
    poolSize: parsed.DATABASE_POOL_SIZE ?? 20,
    connectTimeoutMs: parsed.DATABASE_CONNECT_TIMEOUT_MS ?? 3_000,
    statementTimeoutMs: parsed.DATABASE_STATEMENT_TIMEOUT_MS ?? 10_000,
    bootDeadlineMs: parsed.DATABASE_BOOT_DEADLINE_MS ?? 60_000,
  };
}

/** Injection token of the validated `database` namespace (provided by ConfigurationModule). */
export const DATABASE_CONFIG = Symbol('DATABASE_CONFIG');
