import { fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { MIGRATIONS_FOLDER } from './migrations';

/**
 * PostgreSQL's shared buffers inside PGlite. The server default (128 MB) is sized for a dedicated database host; the
 * embedded database serves one process's profiles and lessons, and every buffer is resident WebAssembly memory.
 */
const SHARED_BUFFERS = '16MB';

/** The child that runs initdb for a new data directory (a sibling file: `.js` in dist/, `.ts` under the tests). */
const INITDB_SCRIPT = join(__dirname, `pglite-initdb${extname(__filename)}`);

/** A data directory PostgreSQL has initialised (initdb writes PG_VERSION). */
function initialised(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/**
 * Runs PGlite's initdb and the migrations for a new `dataDir` in a short-lived child process, so their memory is
 * returned when it exits.
 */
async function initialiseInChild(dataDir: string): Promise<void> {
  const child = fork(INITDB_SCRIPT, [dataDir, MIGRATIONS_FOLDER], {
    // Run as `.ts` (the tests), the script is an ES module in a package without "type"; Node says so once.
    execArgv: [...process.execArgv, '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`PGlite initdb for ${dataDir} exited with ${String(code)}`);
}

/**
 * Opens embedded PGlite: in memory when `dataDir` is undefined, else on disk, created first (initdb in a child
 * process, with the migrations) when new. PGlite and its Drizzle driver are loaded here, on first use, so a service on a PostgreSQL server
 * never loads them.
 */
export async function openPglite(dataDir: string | undefined) {
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    if (!initialised(dataDir)) await initialiseInChild(dataDir);
  }
  const { PGlite } = await import('@electric-sql/pglite');
  return PGlite.create(dataDir, {
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`],
  });
}
