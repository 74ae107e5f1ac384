import { registerAs } from '@nestjs/config';
import { IsOptional, Matches } from 'class-validator';
import { validateEnvironment } from './validate-environment';

class DatabaseEnvironment {
  @IsOptional()
  @Matches(/^(postgres|postgresql|pglite):\/\/.+/, {
    message: 'DATABASE_URL must start with postgres://, postgresql:// or pglite://',
  })
  DATABASE_URL?: string;
}

/** Embedded PGlite (on disk or in memory) or a PostgreSQL server; one schema and one set of migrations for both. */
export type DatabaseConfig =
  | { kind: 'pglite'; dataDir: string | undefined; label: string }
  | { kind: 'postgres'; url: string; label: string };

export function loadDatabaseConfig(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const url = validateEnvironment(DatabaseEnvironment, env).DATABASE_URL;
  if (url === undefined)
    return { kind: 'pglite', dataDir: './data/pglite', label: 'embedded PGlite at ./data/pglite' };
  if (url.startsWith('pglite://')) {
    const location = url.slice('pglite://'.length);
    return location === 'memory'
      ? { kind: 'pglite', dataDir: undefined, label: 'embedded PGlite in memory' }
      : { kind: 'pglite', dataDir: location, label: `embedded PGlite at ${location}` };
  }
  const host = new URL(url).host;
  return { kind: 'postgres', url, label: `PostgreSQL at ${host}` };
}

export const databaseConfig = registerAs('database', () => loadDatabaseConfig());
