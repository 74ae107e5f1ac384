import { Registry } from 'prom-client';
import { loadCoordinationConfig } from '../src/config/coordination.config';
import { RedisConnection } from '../src/coordination/redis-connection';
import { RedisRetryCounts } from '../src/coordination/redis-retry-counts';
import { RetryBudget } from '../src/llm/fallback/retry-budget';
import { RedisServer, systemRedisServer } from './support/redis-server';
import { eventually } from './support/service-process';
import {
  ANTHROPIC,
  GEMINI_FALLBACK,
  OPENAI,
  PRIMARY,
  startTestApp,
  TestApp,
} from './support/test-app';
import { describeIf } from './support/tools';

const CALLERS = 50;
const ROUTES = [PRIMARY, GEMINI_FALLBACK, OPENAI, ANTHROPIC];

describe('The retry budget: a full outage with many callers at once', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      LLM_RETRY_BUDGET_RATIO: '0.2',
      LLM_RETRY_BUDGET_MIN: '2',
      // Circuits would stop the calls on their own; this test is about the budget.
      LLM_CIRCUIT_FAILURE_THRESHOLD: '100000',
    });
  });
  afterAll(() => t.close());

  it('calls beyond each request’s first call to a route stay within 20 % of its provider’s first calls; every caller gets a 503 with Retry-After', async () => {
    for (const route of ROUTES) t.simulator.always(route, 'server_error');
    const answers = await Promise.all(
      Array.from({ length: CALLERS }, (_, i) =>
        t
          .http()
          .post('/v1/chat/completions')
          .send({ model: 'default', messages: [{ role: 'user', content: `Question ${i}` }] }),
      ),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // Without a budget each request makes 8 calls: one retry of each route after its 500. With it: one first call
    // per route and request (gemini has two routes), and per provider at most 20 % of its first calls after them.
    for (const provider of ['gemini', 'openai', 'anthropic']) {
      const routes = ROUTES.filter((route) => route.startsWith(`${provider}:`));
      const firsts = CALLERS * routes.length;
      const total = routes
        .map((route) => t.simulator.countFor(route))
        .reduce((sum, count) => sum + count, 0);
      expect(total).toBeGreaterThanOrEqual(firsts);
      expect(total - firsts).toBeLessThanOrEqual(firsts * 0.2);
    }
    const metrics = (await t.http().get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/llm_retry_budget_exhausted_total\{provider="gemini"\} [1-9]/);
  });
});

const redisBinary = systemRedisServer();
describeIf(
  redisBinary,
  'the retry budget shared through Redis (needs redis-server)',
  'bash scripts/start-redis.sh && npm run test:e2e',
)('The retry budget shared by replicas through Redis', () => {
  it('what one replica spends, the other cannot: the fleet keeps to one budget', async () => {
    const redis = new RedisServer(redisBinary ?? '');
    await redis.start();
    const replica = () => {
      const coordination = loadCoordinationConfig({ REDIS_URL: redis.url, NODE_ENV: 'test' });
      const connection = new RedisConnection(coordination, new Registry());
      return { connection, counts: new RedisRetryCounts(connection) };
    };
    const a = replica();
    const b = replica();
    try {
      await eventually('both replicas reach Redis', async () => a.connection.up && b.connection.up);
      const settings = { ratio: 0.2, minPerWindow: 0 };
      const onA = new RetryBudget(settings, a.counts);
      const onB = new RetryBudget(settings, b.counts);
      for (let i = 0; i < 10; i += 1) onA.first('openai');
      for (let i = 0; i < 10; i += 1) onB.first('openai');
      await a.counts.sync();
      await b.counts.sync();
      await a.counts.sync();
      // 20 first calls in the fleet: 4 calls after them, wherever they are made.
      expect([onA.tryExtra('openai'), onA.tryExtra('openai'), onA.tryExtra('openai')]).toEqual([
        true,
        true,
        true,
      ]);
      await a.counts.sync();
      await b.counts.sync();
      expect([onB.tryExtra('openai'), onB.tryExtra('openai')]).toEqual([true, false]);
    } finally {
      a.counts.stop();
      b.counts.stop();
      await a.connection.onApplicationShutdown();
      await b.connection.onApplicationShutdown();
      await redis.kill();
    }
  });
});
