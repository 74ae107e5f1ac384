import { resolve } from 'node:path';

/** The SQL migrations, shared by PGlite and PostgreSQL; the same path from src/ and dist/. */
export const MIGRATIONS_FOLDER = resolve(__dirname, '..', '..', 'drizzle');
