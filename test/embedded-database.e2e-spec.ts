import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startServiceProcess } from './support/service-process';
import { startTestApp, uniqueProfile } from './support/test-app';

/**
 * The embedded database on disk, as the README's `npm start` uses it: a new data directory is created (initdb and
 * migrations in a short-lived child process), and what was stored is there after a restart.
 */
describe('Embedded PGlite on a data directory', () => {
  const dirs: string[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'pglite-e2e-'));
    dirs.push(dir);
    return join(dir, 'data'); // not there yet: the service creates it
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('a service process creates a new data directory, and a restart finds the stored profile', async () => {
    const dataDir = newDir();
    const env = { DATABASE_URL: `pglite://${dataDir}`, OPENAI_API_KEY: '', LOG_LEVEL: 'info' };
    const first = await startServiceProcess(env);
    let id: string;
    try {
      const created = await request(first.url).post('/profiles').send(uniqueProfile()).expect(201);
      id = created.body.id;
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    } finally {
      await first.stop();
    }
    const second = await startServiceProcess(env);
    try {
      const read = await request(second.url).get(`/profiles/${id}`).expect(200);
      expect(read.body.id).toBe(id);
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('the in-process app (the tests’ own runtime) initialises a new data directory too', async () => {
    const dataDir = newDir();
    const t = await startTestApp({ DATABASE_URL: `pglite://${dataDir}` });
    try {
      const created = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
      await t.http().get(`/profiles/${created.body.id}`).expect(200);
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    } finally {
      await t.close();
    }
  }, 60_000);
});
