import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import request from 'supertest';
import { probeDelayMs, RouteHealthChecker } from '../src/llm/probes/route-health-checker.service';
import { appSimulator } from '../src/simulated-providers';
import { freePort } from './support/temporary-database';
import {
  ANTHROPIC,
  FAKE_KEYS,
  GEMINI_FALLBACK,
  OPENAI,
  PRIMARY,
  startTestApp,
  TestApp,
  route,
  uniqueProfile,
} from './support/test-app';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('Scheduled recovery to the primary', () => {
  const intervalMs = 300;
  const successes = 2;
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      LLM_HEALTHCHECK_INTERVAL_MS: String(intervalMs),
      LLM_HEALTHCHECK_SUCCESSES: String(successes),
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves an outage from the fallback without user attempts on the primary, then moves back once it recovers', async () => {
    t.simulator.always(PRIMARY, 'overloaded');

    const first = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    expect(first.body.llm.attempts.map(route)).toEqual([PRIMARY, GEMINI_FALLBACK]);

    const outageStarted = Date.now();
    for (let i = 0; i < 5; i += 1) {
      const during = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
      expect(during.body.llm.attempts.map(route)).toEqual([GEMINI_FALLBACK]);
      await sleep(100);
    }
    // Only probes reached the primary after the first request, at most as many as the adaptive cadence allows
    // (a tenth of the interval, doubling up to it). A busy machine only makes fewer probes than the time allows.
    const outageMs = Date.now() - outageStarted;
    const primaryDuringOutage = t.simulator.attemptsFor(PRIMARY).length;
    let allowed = 0;
    for (let elapsed = 0, quiet = 0; elapsed <= outageMs; quiet += 1, allowed += 1)
      elapsed +=
        0.9 * probeDelayMs(intervalMs, { probing: true, quietRounds: quiet, confirming: false });
    expect(primaryDuringOutage).toBeLessThanOrEqual(1 + allowed + 1);
    expect(primaryDuringOutage).toBeGreaterThan(1); // the outage was probed

    t.simulator.always(PRIMARY, 'ok');
    const attemptsBeforeRecovery = t.simulator.attemptsFor(PRIMARY).length;
    const recoveredAt = Date.now();
    let backOnPrimary = false;
    while (Date.now() - recoveredAt < 20_000) {
      const status = await t.http().get('/health/llm').expect(200);
      if (status.body.sticky.model === 'gemini-3-flash-preview') {
        backOnPrimary = true;
        break;
      }
      await sleep(25);
    }

    expect(backOnPrimary).toBe(true);
    // Traffic moved back after exactly LLM_HEALTHCHECK_SUCCESSES successful probes of the recovered primary.
    const probesAfterRecovery = t.simulator.attemptsFor(PRIMARY).slice(attemptsBeforeRecovery);
    expect(probesAfterRecovery.map((attempt) => attempt.status)).toEqual(
      Array.from({ length: successes }, () => 200),
    );
    expect(
      t.logs.includes(
        'Primary gemini/gemini-3-flash-preview recovered; moving traffic back from gemini/gemini-2.5-flash',
      ),
    ).toBe(true);
    const after = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    expect(after.body.llm.attempts.map(route)).toEqual([PRIMARY]);
  });
});

describe('Flapping, health endpoints and metrics', () => {
  let t: TestApp;

  beforeEach(async () => {
    // A long interval: these tests run the scheduled handler themselves.
    t = await startTestApp({ LLM_HEALTHCHECK_INTERVAL_MS: '600000' });
  });
  afterEach(async () => {
    await t.close();
  });

  it('a flapping primary does not move traffic on every request', async () => {
    t.simulator.script(PRIMARY, 'overloaded');
    await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    const checker = t.app.get(RouteHealthChecker);

    for (let round = 0; round < 6; round += 1) {
      t.simulator.script(PRIMARY, round % 2 === 0 ? 'ok' : 'overloaded');
      await checker.runProbes();
      const response = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
      expect(response.body.llm.attempts.map(route)).toEqual([GEMINI_FALLBACK]);
    }

    expect(t.logs.lines.filter((line) => line.includes('Switched from'))).toHaveLength(1);
    expect(t.logs.includes('recovered; moving traffic back')).toBe(false);
    const status = await t.http().get('/health/llm').expect(200);
    expect(status.body.sticky).toMatchObject({ model: 'gemini-2.5-flash', reason: 'overloaded' });
    expect(status.body.routes[0].lastProbe).toMatchObject({ ok: false, outcome: 'overloaded' });
  });

  it('health endpoints while every provider is down: live and ready stay 200, /health/llm tells the truth', async () => {
    for (const target of [PRIMARY, GEMINI_FALLBACK, OPENAI, ANTHROPIC])
      t.simulator.always(target, 'overloaded');
    for (let i = 0; i < 3; i += 1)
      await t.http().post('/profiles').send(uniqueProfile()).expect(503);

    await t.http().get('/health/live').expect(200);
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.info.database.status).toBe('up');

    const status = await t.http().get('/health/llm').expect(200);
    expect(status.body.routes.map((entry: { state: string }) => entry.state)).toEqual([
      'open',
      'open',
      'open',
      'open',
    ]);
    expect(status.body.routes[0]).toMatchObject({ keyConfigured: true, consecutiveFailures: 3 });
    expect(status.body.routes[0].counts.availabilityFailures).toBe(3);
    const body = JSON.stringify(status.body);
    for (const key of Object.values(FAKE_KEYS)) expect(body).not.toContain(key.slice(0, 6));

    // Probes run while routes are open; a recovered route closes again and takes traffic.
    t.simulator.always(OPENAI, 'ok');
    const checker = t.app.get(RouteHealthChecker);
    await checker.runProbes();
    await checker.runProbes();
    const recovered = await t.http().get('/health/llm').expect(200);
    expect(recovered.body.routes[2].state).toBe('closed');
    const served = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    expect(served.body.llm.provider).toBe('openai');
  });

  it('metrics after a failover', async () => {
    t.simulator.script(PRIMARY, 'overloaded');
    await t.http().post('/profiles').send(uniqueProfile()).expect(201);

    const response = await t.http().get('/metrics').expect(200);
    const text = response.text;

    expect(response.headers['content-type']).toContain('text/plain');
    expect(text).toContain(
      'llm_attempts_total{provider="gemini",model="gemini-3-flash-preview",outcome="overloaded"} 1',
    );
    expect(text).toContain(
      'llm_attempts_total{provider="gemini",model="gemini-2.5-flash",outcome="success"} 1',
    );
    expect(text).toContain(
      'llm_fallbacks_total{from="gemini/gemini-3-flash-preview",to="gemini/gemini-2.5-flash",reason="overloaded"} 1',
    );
    expect(text).toContain(
      'llm_sticky_route{provider="gemini",model="gemini-2.5-flash",position="1"} 1',
    );
    expect(text).toContain(
      'llm_sticky_route{provider="gemini",model="gemini-3-flash-preview",position="0"} 0',
    );
    expect(text).toContain(
      'llm_route_state{provider="gemini",model="gemini-3-flash-preview",position="0",state="closed"} 1',
    );
    expect(text).toMatch(
      /llm_tokens_total\{provider="gemini",model="gemini-2.5-flash",direction="output"\} [1-9]/,
    );
    expect(text).toMatch(
      /llm_cost_usd_total\{provider="gemini",model="gemini-2.5-flash"\} 0\.\d*[1-9]/,
    );
    expect(text).toContain('llm_request_duration_seconds_count{outcome="success"} 1');
    expect(text).toMatch(
      /llm_attempt_duration_seconds_bucket\{le="[0-9.]+",provider="gemini",model="gemini-3-flash-preview",outcome="overloaded"\}/,
    );
    expect(text).toContain('process_resident_memory_bytes');
  });
});

describe('Graceful shutdown', () => {
  it('on SIGTERM: readiness 503 while draining, the in-flight request finishes, the process exits 0', async () => {
    const simulator = appSimulator();
    await simulator.start();
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'src/main.ts'],
      {
        cwd: resolve(__dirname, '..'),
        env: {
          ...process.env,
          ...FAKE_KEYS,
          NODE_OPTIONS: '',
          PORT: String(port),
          DATABASE_URL: 'pglite://memory',
          OPENAI_BASE_URL: simulator.baseUrls.openai,
          ANTHROPIC_BASE_URL: simulator.baseUrls.anthropic,
          GEMINI_BASE_URL: simulator.baseUrls.gemini,
          SHUTDOWN_DRAIN_MS: '700',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const output: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    const base = `http://127.0.0.1:${port}`;
    try {
      const bootStarted = Date.now();
      for (;;) {
        const ready = await request(base)
          .get('/health/ready')
          .catch(() => undefined);
        if (ready?.status === 200) break;
        // A bound, not a measurement: ts-node compiles the service first, slowly on a busy 2-core machine.
        if (Date.now() - bootStarted > 90_000)
          throw new Error(`service did not start:\n${output.join('')}`);
        await sleep(100);
      }
      simulator.script(PRIMARY, { fault: 'slow', delayMs: 1_500 });

      const inFlight = request(base).post('/profiles').send(uniqueProfile());
      const answer = inFlight.then((response) => response);
      await sleep(300);
      child.kill('SIGTERM');
      await sleep(200);
      const draining = await request(base).get('/health/ready');

      expect(draining.status).toBe(503);
      expect((await answer).status).toBe(201);
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(simulator.attemptsFor(PRIMARY)).toHaveLength(1);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await simulator.stop();
    }
  }, 150_000);
});
