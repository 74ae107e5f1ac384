/**
 * Creates a new embedded PGlite data directory and applies the migrations, then exits (run by embedded.ts as a
 * short-lived child process).
 *
 * PGlite's initdb and the first schema build grow the WebAssembly heap to several hundred MB, and a WebAssembly
 * memory never shrinks: done in the service's own process, that memory would stay resident for the process's whole
 * life. The service then opens the finished directory like any later boot. Plain erasable TypeScript with no local
 * imports, so Node runs it as `.ts` under the tests too.
 */
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';

async function initialise(dataDir: string, migrationsFolder: string): Promise<void> {
  const client = await PGlite.create(dataDir);
  await migrate(drizzle({ client }), { migrationsFolder });
  await client.close();
}

const [dataDir, migrationsFolder] = process.argv.slice(2);
if (!dataDir || !migrationsFolder) {
  console.error('usage: pglite-initdb <data directory> <migrations folder>');
  process.exit(2);
}
initialise(dataDir, migrationsFolder).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(
      `PGlite initdb failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  },
);
