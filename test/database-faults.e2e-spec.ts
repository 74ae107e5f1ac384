import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { DATABASE_CONFIG, DatabaseConfig } from '../src/config/database.config';
import { TcpProxy } from './support/tcp-proxy';
import { temporaryPostgresDatabase } from './support/temporary-database';
import { startTestApp, TestApp, uniqueProfile } from './support/test-app';
import { describeIf, WITH_POSTGRES } from './support/tools';

const admin = process.env.E2E_DATABASE_URL;

// Only a PostgreSQL server has a connection pool to lose (CI runs the e2e suite on one as well as on PGlite).
describeIf(
  admin,
  'PostgreSQL connections lost (needs a PostgreSQL server)',
  WITH_POSTGRES,
)('PostgreSQL connections lost under a running service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('idle pool clients killed by the server do not crash the process; the next request reconnects', async () => {
    await t.http().post('/profiles').send(uniqueProfile()).expect(201); // the pool now holds idle clients
    const config = t.app.get<DatabaseConfig>(DATABASE_CONFIG);
    if (config.kind !== 'postgres') throw new Error('expected a PostgreSQL database');
    const database = new URL(config.url).pathname.slice(1);

    const client = new Client({ connectionString: admin });
    await client.connect();
    try {
      // What a server restart or failover does to established connections.
      const killed = await client.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [database],
      );
      expect(killed.rowCount).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
    await new Promise((done) => setTimeout(done, 200)); // the idle clients see their sockets close

    // Still alive (an unhandled pool 'error' would have ended this process), and serving again.
    await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    await t.http().get('/health/ready').expect(200);
    expect(t.logs.lines.some((line) => line.includes('An idle database connection was lost'))).toBe(
      true,
    );
  });
});

describeIf(
  admin,
  'paid writes under PostgreSQL faults (needs a PostgreSQL server)',
  WITH_POSTGRES,
)('The database unreachable (a proxy cut in front of PostgreSQL)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let proxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    database = await temporaryPostgresDatabase(admin!, 'faults');
    const target = new URL(database.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    t = await startTestApp({
      DATABASE_URL: proxy.through(database.url),
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    await t?.close();
    await proxy.cut();
    await database.drop();
  });
  afterEach(async () => {
    t.simulator.latencyMs = 0;
    if (!(await readyStatus(t)).ok) await proxy.restore();
  });

  const readyStatus = async (app: TestApp) => {
    const response = await app.http().get('/health/ready');
    return { ok: response.status === 200, status: response.status };
  };

  it('answers 503 with Retry-After in the usual shape, readiness 503, liveness 200; then serves again by itself', async () => {
    const created = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    await proxy.cut();

    const read = await t.http().get(`/profiles/${created.body.id}`);
    expect(read.status).toBe(503);
    expect(Number(read.headers['retry-after'])).toBeGreaterThan(0);
    expect(read.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(read.body.requestId).toEqual(expect.any(String));
    expect(JSON.stringify(read.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|password|llm:llm/);
    expect((await readyStatus(t)).status).toBe(503);
    const live = await t.http().get('/health/live');
    expect({ status: live.status, body: live.body }).toMatchObject({ status: 200 }); // the body says which check failed

    await proxy.restore();
    await t.http().get('/health/ready').expect(200);
    await t.http().get(`/profiles/${created.body.id}`).expect(200);
  });

  it('a generation paid for during a short outage is stored once the database is back, within the deadline', async () => {
    t.simulator.latencyMs = 600; // the outage starts while the model is answering
    const answer = sent(t.http().post('/profiles').send(uniqueProfile()));
    await new Promise((done) => setTimeout(done, 300));
    await proxy.cut();
    await new Promise((done) => setTimeout(done, 1_500));
    await proxy.restore();
    const response = await answer;
    expect(response.status).toBe(201);
    await t.http().get(`/profiles/${response.body.id}`).expect(200);
    expect(t.logs.lines.some((line) => /Stored a profile on attempt \d+/.test(line))).toBe(true);
  });

  it('a generation that cannot be stored before the deadline is a 503, counted as lost, never a silent 201', async () => {
    const lostBefore = await lostGenerations(t);
    t.simulator.latencyMs = 600;
    const answer = sent(t.http().post('/profiles').send(uniqueProfile()));
    await new Promise((done) => setTimeout(done, 300));
    await proxy.cut();
    const response = await answer;
    expect(response.status).toBe(503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.body.code ?? response.body.error).toBeDefined();
    expect(await lostGenerations(t)).toBe(lostBefore + 1);
  }, 30_000);
});

describeIf(
  admin,
  'Booting against PostgreSQL (needs a PostgreSQL server)',
  WITH_POSTGRES,
)('Booting against PostgreSQL', () => {
  it('a pod that starts before its database retries with backoff instead of crash-looping', async () => {
    const database = await temporaryPostgresDatabase(admin!, 'boot');
    const target = new URL(database.url);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const url = proxy.through(database.url);
    await proxy.cut(); // nothing listens yet
    const booting = startTestApp({ DATABASE_URL: url, DATABASE_CONNECT_TIMEOUT_MS: '500' });
    await new Promise((done) => setTimeout(done, 1_200));
    await proxy.restore();
    const t = await booting;
    try {
      await t.http().get('/health/ready').expect(200);
      expect(t.logs.lines.some((line) => /is unreachable.*retrying in \d+ ms/.test(line))).toBe(
        true,
      );
    } finally {
      await t.close();
      await proxy.cut();
      await database.drop();
    }
  });

  it('replicas booting together on a fresh database run each migration once (advisory lock)', async () => {
    const database = await temporaryPostgresDatabase(admin!, 'migrate');
    try {
      const apps = await Promise.all(
        [1, 2, 3].map(() => startTestApp({ DATABASE_URL: database.url })),
      );
      await Promise.all(apps.map((app) => app.close()));
      const journal = JSON.parse(
        readFileSync(resolve(__dirname, '..', 'drizzle', 'meta', '_journal.json'), 'utf8'),
      ) as { entries: unknown[] };
      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        const applied = await client.query(
          'select count(*)::int as n from drizzle.__drizzle_migrations',
        );
        expect(applied.rows[0].n).toBe(journal.entries.length);
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });
});

/** Sends a supertest request now (it only starts when awaited or `then`-ed) and hands back its answer. */
function sent(pending: request.Test): Promise<request.Response> {
  return new Promise((done, fail) => {
    void pending.then(done, fail);
  });
}

async function lostGenerations(t: TestApp): Promise<number> {
  const text = (await t.http().get('/metrics')).text;
  const match = /^llm_generations_lost_total\{kind="profile"\} (\d+)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}
