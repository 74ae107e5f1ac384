import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { Environment, validateEnvironment } from './validate-environment';

class DatabaseEnvironment {
  @IsOptional()
  @Matches(/^(postgres|postgresql|pglite):\/\/.+/, {
    message: 'DATABASE_URL must start with postgres://, postgresql:// or pglite://',
  })
  DATABASE_URL?: string;

  @IsOptional() @IsInt() @Min(1) @Max(200) DATABASE_POOL_SIZE?: number;
}

/** Embedded PGlite (on disk or in memory) or a PostgreSQL server; one schema and one set of migrations for both. */
export type DatabaseConfig =
  | { kind: 'pglite'; dataDir: string | undefined; label: string }
  | { kind: 'postgres'; url: string; label: string; poolSize: number };

export function loadDatabaseConfig(env: Environment): DatabaseConfig {
  const parsed = validateEnvironment(DatabaseEnvironment, env);
  const url = parsed.DATABASE_URL;
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
  };
}

/** Injection token of the validated `database` namespace (provided by ConfigurationModule). */
export const DATABASE_CONFIG = Symbol('DATABASE_CONFIG');
