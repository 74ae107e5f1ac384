import { RedisServer, systemRedisServer } from './support/redis-server';
import { eventually } from './support/service-process';
import { ANTHROPIC, OPENAI, openAiClientFor, startTestApp, TestApp } from './support/test-app';
import { describeIf } from './support/tools';

const KEY_A = 'fake-openai-pool-key-A-1234567890';
const KEY_B = 'fake-openai-pool-key-B-1234567890';
const CLAUDE_A = 'fake-anthropic-pool-key-A-123456';
const CLAUDE_B = 'fake-anthropic-pool-key-B-123456';

type Health = {
  routes: Array<{ provider: string; model: string; state: string }>;
  keys: Record<string, Array<{ name: string; state: string; until?: string; remaining?: number }>>;
};

describe('Key pools: one key limited, exhausted or revoked, the route stays on its model', () => {
  let t: TestApp;
  let client: Awaited<ReturnType<typeof openAiClientFor>>;

  // A fresh app per test: what a key learned (cooling, exhausted, disabled) lasts past a test.
  beforeEach(async () => {
    t = await startTestApp({
      OPENAI_API_KEY: undefined,
      OPENAI_API_KEYS: `team-a:${KEY_A},team-b:${KEY_B}`,
      ANTHROPIC_API_KEY: undefined,
      ANTHROPIC_API_KEYS: `claude-a:${CLAUDE_A},claude-b:${CLAUDE_B}`,
      LLM_PROVIDER: 'openai',
      LLM_MODEL: 'gpt-4o-mini',
      LLM_FALLBACKS: ANTHROPIC,
    });
    client = await openAiClientFor(t);
  });
  afterEach(() => t.close());

  const ask = (extra: Record<string, unknown> = {}) =>
    client.chat.completions.create({
      model: 'default',
      messages: [{ role: 'user', content: 'Hi' }],
      ...extra,
    });
  const keysSeen = (route: string) =>
    t.simulator.attemptsFor(route).map((attempt) => [attempt.apiKey, attempt.status]);
  const health = async () => (await t.http().get('/health/llm').expect(200)).body as Health;

  it('a 429 on key A is answered by key B of the same model, not by another vendor; A then rests', async () => {
    t.simulator.keyFault(KEY_A, { fault: 'rate_limited', retryAfterSeconds: 30 });
    // Both keys fresh and no affinity: the first key in the list goes first.
    expect((await ask()).model).toBe(OPENAI);
    expect((await ask()).model).toBe(OPENAI);
    expect(t.simulator.attemptsFor(ANTHROPIC)).toEqual([]);
    // One 429 on A, then A rests for its Retry-After: both answers from B, the second without trying A.
    expect(keysSeen(OPENAI)).toEqual([
      [KEY_A, 429],
      [KEY_B, 200],
      [KEY_B, 200],
    ]);
    expect((await health()).keys.openai.find((key) => key.name === 'team-a')).toMatchObject({
      state: 'cooling',
    });
    // The route itself never failed: closed, and the chain never left it.
    expect((await health()).routes[0]).toMatchObject({ provider: 'openai', state: 'closed' });
  });

  it('an exhausted key (remaining 0 in its headers) gets no request until its reset; the other key serves', async () => {
    t.simulator.keyQuota(KEY_A, 1, 60_000).keyQuota(KEY_B, 100, 60_000);
    for (let i = 0; i < 6; i += 1) expect((await ask()).model).toBe(OPENAI);
    const seen = keysSeen(OPENAI);
    // A's one request said "0 left, reset in 60 s": no second request reached it (the simulator would answer 429).
    expect(seen.filter(([key]) => key === KEY_A)).toEqual([[KEY_A, 200]]);
    expect(seen.filter(([key]) => key === KEY_B)).toHaveLength(5);
    expect(seen.every(([, status]) => status === 200)).toBe(true);
    const keys = (await health()).keys.openai;
    expect(keys.find((key) => key.name === 'team-a')).toMatchObject({
      state: 'exhausted',
      remaining: 0,
    });
    expect(keys.find((key) => key.name === 'team-b')?.state).toBe('ready');
  });

  it('a revoked key (401) leaves the route up: its requests go to the other key, the route is never disabled', async () => {
    t.simulator.keyFault(CLAUDE_A, 'invalid_key');
    for (let i = 0; i < 3; i += 1) {
      const answer = await client.chat.completions.create({
        model: ANTHROPIC,
        messages: [{ role: 'user', content: `Question ${i}` }],
      });
      expect(answer.model).toBe(ANTHROPIC);
    }
    expect(keysSeen(ANTHROPIC)).toEqual([
      [CLAUDE_A, 401],
      [CLAUDE_B, 200],
      [CLAUDE_B, 200],
      [CLAUDE_B, 200],
    ]);
    const body = await health();
    expect(body.keys.anthropic.find((key) => key.name === 'claude-a')).toMatchObject({
      state: 'disabled',
    });
    expect(body.routes.find((route) => route.provider === 'anthropic')?.state).toBe('closed');
    // Keys appear by name only.
    const text = JSON.stringify(body);
    for (const key of [KEY_A, KEY_B, CLAUDE_A, CLAUDE_B])
      expect(text).not.toContain(key.slice(0, 12));
  });

  it('requests that share a prompt_cache_key stay on one key while it is healthy', async () => {
    for (let i = 0; i < 4; i += 1) await ask({ prompt_cache_key: 'course-7-learner-9' });
    const keys = new Set(keysSeen(OPENAI).map(([key]) => key));
    expect(keys.size).toBe(1);
  });

  it('every key out: the route is skipped like a rate-limited one, and the next route answers', async () => {
    t.simulator.keyQuota(KEY_A, 1, 60_000).keyQuota(KEY_B, 1, 60_000);
    await ask();
    await ask();
    const third = await ask();
    expect(third.model).toBe(ANTHROPIC);
    expect(keysSeen(OPENAI)).toHaveLength(2);
  });
});

const redisBinary = systemRedisServer();
describeIf(
  redisBinary,
  'key state shared through Redis (needs redis-server)',
  'bash scripts/start-redis.sh && npm run test:e2e',
)('Key pools shared by replicas through Redis', () => {
  it('a key one replica saw limited rests on the other replica too: its first request goes to the other key', async () => {
    const redis = new RedisServer(redisBinary ?? '');
    await redis.start();
    const env = {
      OPENAI_API_KEY: undefined,
      OPENAI_API_KEYS: `team-a:${KEY_A},team-b:${KEY_B}`,
      LLM_PROVIDER: 'openai',
      LLM_MODEL: 'gpt-4o-mini',
      LLM_FALLBACKS: ANTHROPIC,
      REDIS_URL: redis.url,
    };
    const first = await startTestApp(env);
    const second = await startTestApp(env, first.simulator);
    try {
      await eventually('both replicas reach Redis', async () => {
        const health = await Promise.all(
          [first, second].map((app) => app.http().get('/health/llm')),
        );
        return health.every((answer) => answer.body.sharedState?.mode === 'shared');
      });
      first.simulator.keyFault(KEY_A, { fault: 'rate_limited', retryAfterSeconds: 30 });
      const ask = async (app: TestApp) =>
        (await openAiClientFor(app)).chat.completions.create({
          model: 'default',
          messages: [{ role: 'user', content: 'Hi' }],
        });
      expect((await ask(first)).model).toBe(OPENAI);
      expect(
        first.simulator.attemptsFor(OPENAI).map((attempt) => [attempt.apiKey, attempt.status]),
      ).toEqual([
        [KEY_A, 429],
        [KEY_B, 200],
      ]);
      await eventually('the other replica learns that team-a cools', async () => {
        const health = (await second.http().get('/health/llm')).body as Health;
        return health.keys.openai.find((key) => key.name === 'team-a')?.state === 'cooling';
      });
      expect((await ask(second)).model).toBe(OPENAI);
      // The second replica never tried team-a: its one request went to team-b.
      expect(first.simulator.attemptsFor(OPENAI).map((attempt) => attempt.apiKey)).toEqual([
        KEY_A,
        KEY_B,
        KEY_B,
      ]);
    } finally {
      await second.close();
      await first.close();
      await redis.kill();
    }
  });
});
