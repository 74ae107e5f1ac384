import { AddressInfo } from 'node:net';
import { RedisServer, systemRedisServer } from './support/redis-server';
import { eventually } from './support/service-process';
import { OPENAI, startTestApp, TestApp } from './support/test-app';
import { describeIf } from './support/tools';

type Body = Record<string, any>;

/** A prompt of about `tokens` tokens (four characters a token, as the service estimates). */
const promptOf = (tokens: number) => 'word '.repeat(Math.round((tokens * 4) / 5));

function chat(t: TestApp, key: string, body: Body) {
  return t
    .http()
    .post('/v1/chat/completions')
    .set('authorization', `Bearer ${key}`)
    .send({ model: OPENAI, ...body });
}

/** What a named key has been charged, from /metrics (every attempt's tokens, as settled). */
async function spentBy(t: TestApp, name: string): Promise<number> {
  const metrics = (await t.http().get('/metrics')).text;
  return Number(
    new RegExp(`llm_client_tokens_total\\{client="${name}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0,
  );
}

const ALICE = 'alice:alice-key-AAAA1111BBBB2222CCCC';
const BOB = 'bob:bob-key-DDDD3333EEEE4444FFFF';
const aliceKey = ALICE.slice('alice:'.length);
const bobKey = BOB.slice('bob:'.length);

/**
 * Twelve requests at once, each reserving about 2,300 tokens (2,000 of prompt, max_tokens 300). The provider answers
 * after 300 ms, so every request is checked before any is charged: only reservations can hold the budget.
 */
async function burst(apps: TestApp[]) {
  apps[0].simulator.always(OPENAI, { fault: 'slow', delayMs: 300 });
  const answers = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      chat(apps[i % apps.length], aliceKey, {
        messages: [{ role: 'user', content: promptOf(2_000) }],
        max_tokens: 300,
      }),
    ),
  );
  return {
    answered: answers.filter((answer) => answer.status === 200).length,
    refused: answers.filter(
      (answer) => answer.status === 429 && answer.body.error?.code === 'budget_exceeded',
    ).length,
    statuses: answers.map((answer) => answer.status),
  };
}
const BUDGET = 10_000;
const ONE_RESERVATION = 2_400;

describe('Token budgets hold under concurrency, aborts and abandoned streams', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      API_KEYS: `${ALICE},${BOB}`,
      TOKEN_BUDGET_PER_KEY_PER_DAY: String(BUDGET),
      MAX_IN_FLIGHT_PER_KEY: '100',
    });
  });
  afterAll(() => t.close());
  beforeEach(() => t.simulator.reset());

  it('12 concurrent requests overshoot a small budget by at most one reservation (not 12×)', async () => {
    const { answered, refused, statuses } = await burst([t]);
    expect(answered + refused).toBe(12);
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
    expect(answered).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    // Only the answered requests reached the provider.
    expect(t.simulator.attemptsFor(OPENAI)).toHaveLength(answered);
    expect(await spentBy(t, 'alice')).toBeLessThanOrEqual(BUDGET + ONE_RESERVATION);
    // The refusal says what is left and what the request needed; another key has its own budget.
    const refusal = await chat(t, aliceKey, {
      messages: [{ role: 'user', content: promptOf(2_000) }],
      max_tokens: 300,
    });
    expect(refusal.status).toBe(429);
    expect(refusal.body.error.message).toMatch(/daily token budget of 10000 tokens/);
    expect(Number(refusal.headers['retry-after'])).toBeGreaterThan(0);
    expect((await chat(t, bobKey, { messages: [{ role: 'user', content: 'hi' }] })).status).toBe(
      200,
    );
  });

  it('a caller that disconnects is charged the prompt the provider read; an abandoned stream its output too', async () => {
    t.simulator.always(OPENAI, { fault: 'slow', delayMs: 1_000 });
    const before = await spentBy(t, 'bob');
    const leaving = new AbortController();
    const gone = fetch(`${await appUrl(t)}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bobKey}` },
      body: JSON.stringify({
        model: OPENAI,
        messages: [{ role: 'user', content: promptOf(1_000) }],
      }),
      signal: leaving.signal,
    }).catch(() => undefined);
    await eventually('the call reached the provider', async () =>
      Promise.resolve(t.simulator.attemptsFor(OPENAI).length === 1),
    );
    leaving.abort();
    await gone;
    await eventually('the aborted call is charged its input', async () =>
      Promise.resolve((await spentBy(t, 'bob')) - before >= 1_000),
    );

    // A stream read for one chunk and dropped: its input and the output delivered so far.
    t.simulator.reset();
    const afterAbort = await spentBy(t, 'bob');
    const reading = new AbortController();
    const response = await fetch(`${await appUrl(t)}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bobKey}` },
      body: JSON.stringify({
        model: OPENAI,
        messages: [{ role: 'user', content: promptOf(1_000) }],
        stream: true,
      }),
      signal: reading.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    await reader.read();
    reading.abort();
    await reader.cancel().catch(() => undefined);
    await eventually('the abandoned stream is charged', async () =>
      Promise.resolve((await spentBy(t, 'bob')) - afterAbort >= 1_000),
    );
  });

  it('an omitted max_tokens reaches the provider as LLM_MAX_OUTPUT_TOKENS, lowered to what the budget has left', async () => {
    const fresh = await startTestApp({
      API_KEYS: ALICE,
      TOKEN_BUDGET_PER_KEY_PER_DAY: '400',
    });
    try {
      const first = await chat(fresh, aliceKey, { messages: [{ role: 'user', content: 'hi' }] });
      expect(first.status).toBe(200);
      const [sent] = fresh.simulator.attemptsFor(OPENAI);
      // 400 tokens a day: the default output limit (8,192) is lowered to what is left, not refused.
      expect(sent.outputLimit).toBeGreaterThanOrEqual(16);
      expect(sent.outputLimit).toBeLessThan(400);
    } finally {
      await fresh.close();
    }
    const open = await startTestApp({ API_KEYS: ALICE });
    try {
      await chat(open, aliceKey, { messages: [{ role: 'user', content: 'hi' }] }).expect(200);
      expect(open.simulator.attemptsFor(OPENAI)[0].outputLimit).toBe(8_192);
    } finally {
      await open.close();
    }
  });
});

describe('What a request may take', () => {
  it('a tool-parameter prompt counts toward the input cap', async () => {
    const t = await startTestApp({ LLM_MAX_INPUT_TOKENS: '1000' });
    try {
      const refused = await t
        .http()
        .post('/v1/chat/completions')
        .send({
          model: OPENAI,
          messages: [{ role: 'user', content: 'hi' }],
          tools: [
            {
              type: 'function',
              function: {
                name: 'lookup',
                parameters: {
                  type: 'object',
                  properties: { q: { type: 'string', description: 'x'.repeat(8_000) } },
                },
              },
            },
          ],
        });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('context_length_exceeded');
      expect(t.simulator.attempts).toHaveLength(0);
    } finally {
      await t.close();
    }
  });

  it('a key at its in-flight cap gets 429 with a short Retry-After while another key is served; the slot comes back', async () => {
    const t = await startTestApp({ API_KEYS: `${ALICE},${BOB}`, MAX_IN_FLIGHT_PER_KEY: '2' });
    try {
      t.simulator.always(OPENAI, { fault: 'slow', delayMs: 800 });
      const hello = { messages: [{ role: 'user', content: 'hi' }] };
      const running = [chat(t, aliceKey, hello), chat(t, aliceKey, hello)].map((request) =>
        request.then((answer) => answer),
      );
      await eventually('both calls are running', async () =>
        Promise.resolve(t.simulator.attemptsFor(OPENAI).length === 2),
      );
      const third = await chat(t, aliceKey, hello);
      expect(third.status).toBe(429);
      expect(third.body.error.code).toBe('too_many_in_flight');
      expect(third.headers['retry-after']).toBe('1');
      expect((await chat(t, bobKey, hello)).status).toBe(200);
      expect((await Promise.all(running)).map((answer) => answer.status)).toEqual([200, 200]);
      // Released on every path: a failed call gives its slot back too.
      t.simulator.always(OPENAI, 'bad_request');
      for (let i = 0; i < 3; i += 1) expect((await chat(t, aliceKey, hello)).status).toBe(400);
      t.simulator.always(OPENAI, 'ok');
      expect((await chat(t, aliceKey, hello)).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('TOKEN_BUDGET_TOTAL_PER_DAY is one ceiling for every key', async () => {
    const t = await startTestApp({
      API_KEYS: `${ALICE},${BOB}`,
      TOKEN_BUDGET_TOTAL_PER_DAY: '3000',
    });
    try {
      const big = { messages: [{ role: 'user', content: promptOf(1_000) }], max_tokens: 100 };
      let status = 200;
      for (let i = 0; i < 10 && status === 200; i += 1)
        status = (await chat(t, aliceKey, big)).status;
      expect(status).toBe(429);
      const bob = await chat(t, bobKey, big);
      expect(bob.status).toBe(429);
      expect(bob.body.error.message).toMatch(/service's daily token budget of 3000 tokens/);
      expect((await spentBy(t, 'alice')) + (await spentBy(t, 'bob'))).toBeLessThanOrEqual(3_000);
    } finally {
      await t.close();
    }
  });
});

const redisBinary = systemRedisServer();
describeIf(
  redisBinary,
  'budgets shared through Redis (needs redis-server)',
  'bash scripts/start-redis.sh && npm run test:e2e',
)('Budgets shared by replicas through Redis', () => {
  it('12 concurrent requests over two replicas overshoot the budget by at most one reservation', async () => {
    const redis = new RedisServer(redisBinary ?? '');
    await redis.start();
    const env = {
      API_KEYS: ALICE,
      TOKEN_BUDGET_PER_KEY_PER_DAY: String(BUDGET),
      MAX_IN_FLIGHT_PER_KEY: '100',
      REDIS_URL: redis.url,
    };
    const a = await startTestApp(env);
    const b = await startTestApp(env, a.simulator);
    try {
      await eventually('both replicas reach Redis', async () => {
        const health = await Promise.all(
          [a, b].map((app) => app.http().get('/health/llm').set('x-api-key', aliceKey)),
        );
        return health.every((answer) => answer.body.sharedState?.mode === 'shared');
      });
      const { answered, refused } = await burst([a, b]);
      expect(answered + refused).toBe(12);
      expect(answered).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
      const spent = (await spentBy(a, 'alice')) + (await spentBy(b, 'alice'));
      expect(spent).toBeLessThanOrEqual(BUDGET + ONE_RESERVATION);
    } finally {
      await b.close();
      await a.close();
      await redis.kill();
    }
  });
});

/** The app listening on a loopback port (for raw fetch calls a test aborts). */
async function appUrl(t: TestApp): Promise<string> {
  if (!t.app.getHttpServer().listening) await t.app.listen(0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}
