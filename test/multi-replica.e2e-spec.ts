import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { appSimulator } from '../src/simulated-providers';
import { RedisServer, systemRedisServer } from './support/redis-server';
import { eventually, ServiceProcess, startServiceProcess } from './support/service-process';
import { temporaryPostgresDatabase } from './support/temporary-database';
import { FAKE_KEYS, GEMINI_FALLBACK, PRIMARY } from './support/test-app';
import { describeIf, WITH_POSTGRES } from './support/tools';

const admin = process.env.E2E_DATABASE_URL;
// Two replicas need a shared database: the PostgreSQL run of the suite (CI), plus Debian's redis-server.
const redisBinary = admin ? systemRedisServer() : undefined;

/** One client key per test: the rate limit (5 a minute here) is per key and shared by both pods. */
const KEYS = {
  failover: 'replica-failover-key-0001',
  rateLimit: 'replica-ratelimit-key-0002',
  lessons: 'replica-lessons-key-00003',
  redisDown: 'replica-redis-down-key-04',
  postgres: 'replica-postgres-key-0005',
};

/** A JSON answer, read loosely: each test checks the fields it needs. */

type Body = Record<string, any>;

let counter = 0;
const profile = (tag: string) => {
  counter += 1;
  return {
    profession: `Replica ${tag} ${process.pid} ${counter}`,
    industry: 'Logistics',
    experienceLevel: 'Intermediate',
  };
};

async function post(pod: ServiceProcess, path: string, key: string, body: unknown) {
  const response = await fetch(`${pod.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

async function llmStatus(pod: ServiceProcess): Promise<Body> {
  const response = await fetch(`${pod.url}/health/llm`, {
    headers: { 'x-api-key': KEYS.failover },
  });
  return (await response.json()) as Body;
}

describeIf(
  redisBinary,
  'Two replicas sharing Redis and PostgreSQL (needs PostgreSQL and redis-server)',
  WITH_POSTGRES,
)('Two replicas (separate processes) sharing Redis and PostgreSQL', () => {
  const simulator = appSimulator();
  const redis = new RedisServer(redisBinary ?? '');
  let database: { url: string; drop: () => Promise<void> };
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    await simulator.start();
    await redis.start();
    database = await temporaryPostgresDatabase(admin!, 'replicas');
    const env = {
      ...FAKE_KEYS,
      OPENAI_BASE_URL: simulator.baseUrls.openai,
      ANTHROPIC_BASE_URL: simulator.baseUrls.anthropic,
      GEMINI_BASE_URL: simulator.baseUrls.gemini,
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      API_KEYS: Object.values(KEYS).join(','),
      RATE_LIMIT_PER_MINUTE: '5',
      LLM_ATTEMPT_TIMEOUT_MS: '1500',
      // Recovery probes would move traffic back mid-test; the lease itself has unit and log checks.
      LLM_HEALTHCHECK_INTERVAL_MS: '600000',
    };
    // Both boot at once against a fresh database: the migrations run once, under the advisory lock.
    [a, b] = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis.kill();
    await simulator.stop();
    await database?.drop();
  }, 60_000);

  it('a failover on pod A sends pod B’s next call to the fallback route first', async () => {
    simulator.script(PRIMARY, 'overloaded');
    const first = await post(a, '/profiles', KEYS.failover, profile('failover'));
    expect(first.status).toBe(201);
    expect(first.body.llm.fallbackUsed).toBe(true);

    await eventually('pod B follows the sticky route', async () => {
      const status = await llmStatus(b);
      return status.sticky.model === 'gemini-2.5-flash';
    });
    const before = simulator.attempts.length;
    const second = await post(b, '/profiles', KEYS.failover, profile('failover'));
    expect(second.status).toBe(201);
    const attempts = simulator.attempts.slice(before).map((attempt) => attempt.route);
    expect(attempts[0]).toBe(GEMINI_FALLBACK);
    expect(attempts).not.toContain(PRIMARY);
    expect((await llmStatus(b)).sharedState.mode).toBe('shared');
    // One of the two holds the probe lease: the deployment probes once per interval, not once per pod.
    const probing = [a, b].filter((pod) =>
      pod.output().includes('This replica now runs the recovery probes'),
    );
    expect(probing).toHaveLength(1);
  });

  it('the rate limit is one budget across the pods, not one per pod', async () => {
    const body = profile('limit');
    const statuses: number[] = [];
    for (const pod of [a, b, a, b, a])
      statuses.push((await post(pod, '/profiles', KEYS.rateLimit, body)).status);
    expect(statuses.every((status) => status === 200 || status === 201)).toBe(true);
    const sixth = await fetch(`${b.url}/profiles`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEYS.rateLimit },
      body: JSON.stringify(body),
    });
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('identical lesson requests on A and B at once make one generation and return the same lesson', async () => {
    const created = await post(a, '/profiles', KEYS.lessons, profile('lessons'));
    expect(created.status).toBe(201);
    const lesson = {
      courseId: 'llm-foundations',
      lessonId: 'l03-hallucinations',
      difficulty: 3,
      profileId: created.body.id,
    };
    simulator.latencyMs = 300; // the generation takes long enough for both requests to meet
    const before = simulator.attempts.length;
    try {
      const [onA, onB] = await Promise.all([
        post(a, '/lessons', KEYS.lessons, lesson),
        post(b, '/lessons', KEYS.lessons, lesson),
      ]);
      expect([onA.status, onB.status]).toEqual([201, 201]);
      expect(onB.body.id).toBe(onA.body.id);
      const calls = onA.body.generation.calls.length as number;
      expect(calls).toBeGreaterThan(0);
      // One pipeline's calls reached the providers, not two.
      expect(simulator.attempts.length - before).toBe(calls);
    } finally {
      simulator.latencyMs = 0;
    }
  });

  it('killing Redis leaves both pods serving and ready (degraded shared state), and they re-sync when it is back', async () => {
    await redis.kill();
    for (const pod of [a, b])
      await eventually(
        'shared state degraded',
        async () => (await llmStatus(pod)).sharedState.mode === 'degraded',
      );
    for (const pod of [a, b]) {
      expect((await post(pod, '/profiles', KEYS.redisDown, profile('redis'))).status).toBe(201);
      expect((await fetch(`${pod.url}/health/ready`)).status).toBe(200);
      const metrics = await (await fetch(`${pod.url}/metrics`)).text();
      expect(metrics).toMatch(/^llm_shared_state_up 0$/m);
    }
    await redis.start();
    for (const pod of [a, b])
      await eventually(
        'shared state back',
        async () => (await llmStatus(pod)).sharedState.mode === 'shared',
        15_000,
      );
    expect(a.output()).toMatch(/unreachable; each replica keeps its own route state/);
    expect(a.output()).toMatch(/answers again; re-syncing shared state/);
  }, 60_000);

  it('restarting PostgreSQL leaves both pods alive, and they serve again without a restart', async () => {
    execFileSync('bash', [resolve(__dirname, '..', 'scripts', 'restart-postgres.sh')], {
      stdio: 'ignore',
    });
    for (const pod of [a, b]) {
      await eventually(
        'ready again',
        async () => (await fetch(`${pod.url}/health/ready`)).status === 200,
        30_000,
      );
      expect((await post(pod, '/profiles', KEYS.postgres, profile('postgres'))).status).toBe(201);
      expect(pod.alive()).toBe(true);
    }
  }, 60_000);
});
