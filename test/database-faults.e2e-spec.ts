import { Client } from 'pg';
import { DATABASE_CONFIG, DatabaseConfig } from '../src/config/database.config';
import { startTestApp, TestApp, uniqueProfile } from './support/test-app';

const admin = process.env.E2E_DATABASE_URL;

// Only a PostgreSQL server has a connection pool to lose (CI runs the e2e suite on one as well as on PGlite).
(admin ? describe : describe.skip)('PostgreSQL connections lost under a running service', () => {
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
