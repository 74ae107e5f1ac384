import { GoogleGenAI } from '@google/genai';
import OpenAI, { APIError } from 'openai';
import { RouteHealthChecker } from '../src/llm/probes/route-health-checker.service';
import { realmSafeFetch } from '../src/llm/providers/realm-safe-fetch';
import { RouteStateRegistry } from '../src/llm/route-state/route-state.registry';
import { freePort } from './support/temporary-database';
import {
  ANTHROPIC,
  AttemptBody,
  GEMINI_FALLBACK,
  OPENAI,
  PRIMARY,
  route,
  openAiClientFor,
  startTestApp,
  TestApp,
  uniqueProfile,
} from './support/test-app';

const outcomes = (attempts: AttemptBody[]) => attempts.map((a) => [route(a), a.outcome]);

const openAiClient = openAiClientFor;

const say = [{ role: 'user' as const, content: 'Say hello' }];

describe('Failure policy: only availability moves everyone’s traffic', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LLM_CIRCUIT_FAILURE_THRESHOLD: '100' });
  });
  afterAll(() => t.close());
  beforeEach(() => {
    t.simulator.reset();
    t.resetRouting();
  });
  const profile = () => t.http().post('/profiles').send(uniqueProfile()).expect(201);

  it.each(['context_length', 'bad_request', 'content_policy'] as const)(
    'a %s on the primary falls over for that request only: the next request starts at the primary',
    async (fault) => {
      t.simulator.script(PRIMARY, fault);
      const first = await profile();
      expect(outcomes(first.body.llm.attempts)[0][0]).toBe(PRIMARY);
      expect(first.body.llm.provider).not.toBe('gemini-3-flash-preview');
      const second = await profile();
      expect(outcomes(second.body.llm.attempts)).toEqual([[PRIMARY, 'success']]);
    },
  );

  it('output failures move the sticky route only after LLM_OUTPUT_FAILURES_TO_SWITCH (3) in a row', async () => {
    t.simulator.script(PRIMARY, 'prose', 'prose', 'prose');
    for (const expectedStart of [PRIMARY, PRIMARY, PRIMARY]) {
      const answer = await profile();
      expect(route(answer.body.llm.attempts[0])).toBe(expectedStart);
    }
    const after = await profile();
    expect(outcomes(after.body.llm.attempts)).toEqual([[GEMINI_FALLBACK, 'success']]);
    const status = await t.http().get('/health/llm').expect(200);
    expect(status.body.sticky).toMatchObject({
      model: 'gemini-2.5-flash',
      reason: 'invalid_output',
    });
  });

  it('a rate limit is an availability failure: it moves the sticky route', async () => {
    t.simulator.script(PRIMARY, 'rate_limited');
    await profile();
    const after = await profile();
    expect(route(after.body.llm.attempts[0])).toBe(GEMINI_FALLBACK);
  });
});

describe('Thinking under control', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LLM_HEALTHCHECK_INTERVAL_MS: '3600000' });
  });
  afterAll(() => t.close());
  beforeEach(() => t.simulator.reset());

  it('the simulator models the trap: a thinking Gemini model with a small limit and no settings answers nothing', async () => {
    const gemini = new GoogleGenAI({
      apiKey: 'fake-gemini-key-ZXCVBN1234567890',
      httpOptions: { baseUrl: t.simulator.url, fetch: realmSafeFetch() },
    });
    const response = await gemini.models.generateContent({
      model: 'gemini-3-flash-preview',
      contents: 'Reply with {"status":"ok"}.',
      config: { maxOutputTokens: 256, automaticContinuation: false },
    });
    expect(response.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(response.text ?? '').toBe('');
    expect(response.usageMetadata?.thoughtsTokenCount).toBe(256);
  });

  it('the default primary answers profiles and lessons with thinking turned down and headroom above it', async () => {
    const created = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    expect(outcomes(created.body.llm.attempts)).toEqual([[PRIMARY, 'success']]);
    const lesson = await t
      .http()
      .post('/lessons')
      .send({
        courseId: 'llm-foundations',
        lessonId: 'l07-human-oversight',
        difficulty: 4,
        profileId: created.body.id,
      })
      .expect(201);
    expect(
      lesson.body.generation.calls.map((call: { step: string; model: string }) => [
        call.step,
        call.model,
      ]),
    ).toContainEqual(['generate', 'gemini-3-flash-preview']);
    for (const attempt of t.simulator.attemptsFor(PRIMARY)) {
      expect(attempt.thoughts).toBe(0); // thinkingLevel MINIMAL
      // The caller's limit (2048 for a profile, 1024 for a review, 4096 for a lesson) plus headroom.
      expect(attempt.outputLimit).toBeGreaterThanOrEqual(1_024 + 512);
    }
  });

  it('and passes its recovery probes', async () => {
    const state = t.app.get(RouteStateRegistry).defaultState;
    state.recordSuccess(state.plan(), 1, 'overloaded'); // traffic is away from the primary
    const checker = t.app.get(RouteHealthChecker);
    await checker.runProbes();
    await checker.runProbes();
    expect(state.sticky()).toMatchObject({ index: 0, reason: 'recovered' });
    const probes = t.simulator.attemptsFor(PRIMARY);
    expect(probes.map((probe) => [probe.status, probe.hasSchema])).toEqual([
      [200, false],
      [200, false],
    ]);
  });

  it('LLM_THINKING=default still leaves room for the answer', async () => {
    const thinking = await startTestApp({ LLM_THINKING: 'default' });
    try {
      const created = await thinking.http().post('/profiles').send(uniqueProfile()).expect(201);
      expect(outcomes(created.body.llm.attempts)).toEqual([[PRIMARY, 'success']]);
      expect(thinking.simulator.attemptsFor(PRIMARY)[0].thoughts).toBeGreaterThan(0);
    } finally {
      await thinking.close();
    }
  });
});

describe('Probes and rejected keys', () => {
  it('Gemini’s 400 API_KEY_INVALID disables the route; a reprobe after LLM_DISABLED_REPROBE_MS brings it back', async () => {
    const t = await startTestApp({
      LLM_DISABLED_REPROBE_MS: '1000',
      LLM_HEALTHCHECK_INTERVAL_MS: '3600000',
    });
    try {
      t.simulator.script(PRIMARY, 'invalid_key');
      const first = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
      expect(first.body.llm.attempts[0]).toMatchObject({ outcome: 'auth', status: 400 });
      let status = await t.http().get('/health/llm').expect(200);
      expect(status.body.routes[0].state).toBe('disabled');

      const checker = t.app.get(RouteHealthChecker);
      for (let tries = 0; tries < 40 && status.body.routes[0].state === 'disabled'; tries += 1) {
        await new Promise((done) => setTimeout(done, 100));
        await checker.runProbes();
        status = await t.http().get('/health/llm').expect(200);
      }
      expect(status.body.routes[0].state).toBe('closed');
      expect(
        t.logs.lines.some((line) => line.includes('Re-enabled gemini/gemini-3-flash-preview')),
      ).toBe(true);
    } finally {
      await t.close();
    }
  });
});

describe('Content-policy refusals on /v1', () => {
  it.each([OPENAI, ANTHROPIC, GEMINI_FALLBACK])(
    '%s: 400 content_filter with the provider’s reason, and no other vendor sees the content',
    async (target) => {
      const t = await startTestApp();
      try {
        const client = await openAiClient(t);
        t.simulator.script(target, 'content_policy');
        const error = await client.chat.completions
          .create({ model: target, messages: say, fallbacks: [PRIMARY] } as never)
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(OpenAI.BadRequestError);
        expect((error as APIError).code).toBe('content_filter');
        expect((error as APIError).message).toMatch(
          /content policy \((content_policy_violation|refusal|blockReason SAFETY|stop_reason refusal)/,
        );
        expect(t.simulator.routesSeen()).toEqual([target]);
      } finally {
        await t.close();
      }
    },
  );

  it('LLM_FALLBACK_ON_CONTENT_FILTER=true opts in to falling over; our own prompts fall over by default', async () => {
    const t = await startTestApp({ LLM_FALLBACK_ON_CONTENT_FILTER: 'true' });
    try {
      const client = await openAiClient(t);
      t.simulator.script(OPENAI, 'content_policy');
      const answer = await client.chat.completions.create({
        model: OPENAI,
        messages: say,
        fallbacks: [ANTHROPIC],
      } as never);
      expect(answer.model).toBe(ANTHROPIC);
      t.simulator.script(PRIMARY, 'content_policy');
      const profile = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
      expect(outcomes(profile.body.llm.attempts)[0]).toEqual([PRIMARY, 'content_blocked']);
    } finally {
      await t.close();
    }
  });
});

describe('End-to-end deadlines', () => {
  it('LESSON_DEADLINE_MS bounds the whole lesson pipeline, not each call', async () => {
    const t = await startTestApp({ LESSON_DEADLINE_MS: '2500', LLM_REQUEST_TIMEOUT_MS: '8000' });
    try {
      const profile = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
      t.simulator.reset();
      for (const target of [PRIMARY, GEMINI_FALLBACK, OPENAI, ANTHROPIC])
        t.simulator.always(target, 'hang');
      const response = await t
        .http()
        .post('/lessons')
        .send({
          courseId: 'llm-foundations',
          lessonId: 'l01-what-llms-are',
          difficulty: 1,
          profileId: profile.body.id,
        })
        .expect(503);
      // 1.5 s for the first attempt; the 1 s left of the lesson's 2.5 s is less than an attempt needs, so nothing
      // more starts (with only the 8 s request timeout, three more routes would have been tried).
      expect(response.body.attempts.map((a: AttemptBody) => a.outcome)).toEqual(['timeout']);
      expect(response.body.message).toMatch(/deadline/);
      expect(t.simulator.attempts).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  it.each([OPENAI, ANTHROPIC, GEMINI_FALLBACK])(
    '%s: a healthy stream longer than the attempt timeout is not cut by any SDK timeout',
    async (target) => {
      const t = await startTestApp({
        LLM_ATTEMPT_TIMEOUT_MS: '1000',
        LLM_STREAM_IDLE_TIMEOUT_MS: '2000',
      });
      try {
        const client = await openAiClient(t);
        t.simulator.streamGapMs = 350; // 5+ events: about 2 s, twice the attempt timeout
        const stream = await client.chat.completions.create({
          model: target,
          messages: say,
          stream: true,
        });
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        expect(text).toBe(`Simulated answer from ${target.replace(':', '/')}.`);
      } finally {
        await t.close();
      }
    },
  );

  it('LLM_STREAM_MAX_DURATION_MS ends a stream that keeps going past it, however steadily it flows', async () => {
    const t = await startTestApp({
      LLM_STREAM_MAX_DURATION_MS: '1000',
      LLM_STREAM_IDLE_TIMEOUT_MS: '2000',
    });
    try {
      const client = await openAiClient(t);
      t.simulator.streamGapMs = 400;
      const stream = await client.chat.completions.create({
        model: OPENAI,
        messages: say,
        stream: true,
      });
      const error = await (async () => {
        for await (const chunk of stream) void chunk;
      })().catch((caught: unknown) => caught);
      expect((error as APIError).code).toBe('stream_timeout');
    } finally {
      await t.close();
    }
  });
});

describe('Spend limits on /v1 and the generating endpoints', () => {
  let t: TestApp;
  let client: OpenAI;
  beforeAll(async () => {
    t = await startTestApp({ LLM_ALLOWED_ROUTES: 'anthropic:*', LLM_MAX_INPUT_TOKENS: '200' });
    client = await openAiClient(t);
  });
  afterAll(() => t.close());
  beforeEach(() => t.simulator.reset());

  const rejected = (body: object): Promise<APIError> =>
    client.chat.completions.create({ model: 'default', messages: say, ...body } as never).then(
      () => {
        throw new Error('expected a 400');
      },
      (caught: unknown) => caught as APIError,
    );

  it('a model outside the chain and LLM_ALLOWED_ROUTES is a 400 model_not_allowed before any call', async () => {
    const error = await rejected({ model: 'openai:ft:gpt-4o-mini:acme:secret' });
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect([error.code, error.param]).toEqual(['model_not_allowed', 'model']);
    const fallback = await rejected({ model: OPENAI, fallbacks: ['gemini:gemini-2.5-pro'] });
    expect([fallback.code, fallback.param]).toEqual(['model_not_allowed', 'fallbacks[0]']);
    expect(t.simulator.attempts).toHaveLength(0);
  });

  it('provider:* allows any model of that provider, and its metrics say model="other"', async () => {
    const answer = await client.chat.completions.create({
      model: 'anthropic:claude-opus-4-1',
      messages: say,
    });
    expect(answer.model).toBe('anthropic:claude-opus-4-1');
    const metrics = await t.http().get('/metrics').expect(200);
    expect(metrics.text).toContain(
      'llm_attempts_total{provider="anthropic",model="other",outcome="success"}',
    );
    expect(metrics.text).not.toContain('claude-opus-4-1');
  });

  it('more than LLM_MAX_REQUEST_FALLBACKS, max_tokens above LLM_MAX_OUTPUT_TOKENS, or too long an input: 400', async () => {
    const fallbacks = await rejected({
      model: OPENAI,
      fallbacks: [ANTHROPIC, PRIMARY, GEMINI_FALLBACK, 'anthropic:claude-x'],
    });
    expect([fallbacks.status, fallbacks.code]).toEqual([400, 'too_many_fallbacks']);
    const tokens = await rejected({ max_tokens: 9_000 });
    expect([tokens.status, tokens.param]).toEqual([400, 'max_tokens']);
    const input = await rejected({ messages: [{ role: 'user', content: 'x'.repeat(2_000) }] });
    expect([input.status, input.code]).toEqual([400, 'context_length_exceeded']);
    expect(t.simulator.attempts).toHaveLength(0);
  });
});

describe('Per-key token budget', () => {
  const KEYS = ['budget-key-AAAA1111BBBB2222', 'budget-key-CCCC3333DDDD4444'];
  it('counts every attempt (failed ones too) across endpoints; over it: 429 budget_exceeded until the window ends', async () => {
    // A profile reserves its input and its 2,048-token output limit per attempt: the budget holds a few.
    const t = await startTestApp({
      API_KEYS: KEYS.join(','),
      TOKEN_BUDGET_PER_KEY_PER_DAY: '6000',
    });
    try {
      t.simulator.script(PRIMARY, 'overloaded'); // a failed attempt: charged for its input
      const first = await t
        .http()
        .post('/profiles')
        .set('x-api-key', KEYS[0])
        .send(uniqueProfile())
        .expect(201);
      const metrics = await t.http().get('/metrics').expect(200);
      const spent = Number(
        /llm_client_tokens_total\{client="[0-9a-f]{16}"\} (\d+)/.exec(metrics.text)?.[1],
      );
      const successUsage = first.body.llm.attempts.length; // there were two attempts
      expect(successUsage).toBe(2);
      expect(spent).toBeGreaterThan(0);
      // Spend until the budget is gone, then every generating endpoint says 429; reads stay allowed.
      let status = 201;
      for (let i = 0; i < 40 && status !== 429; i += 1)
        status = (await t.http().post('/profiles').set('x-api-key', KEYS[0]).send(uniqueProfile()))
          .status;
      expect(status).toBe(429);
      const refused = await t
        .http()
        .post('/profiles')
        .set('x-api-key', KEYS[0])
        .send(uniqueProfile())
        .expect(429);
      expect(refused.body.message).toMatch(/daily token budget/);
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(86_400);
      await t.http().get(`/profiles/${first.body.id}`).set('x-api-key', KEYS[0]).expect(200);
      // Another key has its own budget.
      await t.http().post('/profiles').set('x-api-key', KEYS[1]).send(uniqueProfile()).expect(201);
      const after = (await t.http().get('/metrics')).text;
      for (const key of KEYS) expect(after).not.toContain(key.slice(-12));
    } finally {
      await t.close();
    }
  });
});

describe('Per-key token budget, streamed and plain alike', () => {
  const KEY = 'stream-budget-key-EEEE5555FFFF';
  /** Requests a key gets answered before 429, and the tokens the ledger charged meanwhile. */
  async function answeredBefore429(stream: boolean) {
    const t = await startTestApp({ API_KEYS: KEY, TOKEN_BUDGET_PER_KEY_PER_DAY: '300' });
    try {
      const client = await openAiClientFor(t, KEY);
      let answered = 0;
      for (let i = 0; i < 30; i += 1) {
        try {
          if (stream) {
            const events = await client.chat.completions.create({
              model: OPENAI,
              messages: [{ role: 'user', content: 'Say hello' }],
              stream: true,
            });
            for await (const chunk of events) void chunk;
          } else
            await client.chat.completions.create({
              model: OPENAI,
              messages: [{ role: 'user', content: 'Say hello' }],
            });
          answered += 1;
        } catch (error) {
          expect(error).toMatchObject({ status: 429, code: 'budget_exceeded' });
          break;
        }
      }
      const metrics = (await t.http().get('/metrics').set('x-api-key', KEY)).text;
      const success = /llm_request_duration_seconds_count\{outcome="success"\} (\d+)/.exec(metrics);
      const aborted = /llm_request_duration_seconds_count\{outcome="client_aborted"\} (\d+)/.exec(
        metrics,
      );
      return { answered, successes: Number(success?.[1]), aborted: Number(aborted?.[1] ?? 0) };
    } finally {
      await t.close();
    }
  }

  it('ten streamed /v1 calls exhaust a small budget exactly as plain calls do, each counted a success', async () => {
    const plain = await answeredBefore429(false);
    const streamed = await answeredBefore429(true);
    expect(plain.answered).toBeGreaterThan(1);
    expect(plain.answered).toBeLessThan(30);
    expect(streamed.answered).toBe(plain.answered);
    expect(streamed.successes).toBe(streamed.answered);
    expect(streamed.aborted).toBe(0);
  });
});

describe('Exposure', () => {
  it('DOCS_ENABLED=false hides /docs and /docs-json', async () => {
    const t = await startTestApp({ DOCS_ENABLED: 'false' });
    try {
      await t.http().get('/docs-json').expect(404);
      await t.http().get('/docs').expect(404);
    } finally {
      await t.close();
    }
  });

  it('METRICS_PORT serves /metrics on a management port only', async () => {
    const port = await freePort();
    const t = await startTestApp({ METRICS_PORT: String(port) });
    try {
      const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('llm_attempts_total');
      await t.http().get('/metrics').expect(404);
    } finally {
      await t.close();
    }
  });
});

describe('Bad input gets a clear 4xx, never a 500', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => t.close());

  it('a NUL or other control character in a string: 400', async () => {
    for (const bad of ['Nurse\u0000', 'Nu\u0007rse', 'Nurse\u001b[31m'])
      await t
        .http()
        .post('/profiles')
        .send({ ...uniqueProfile(), profession: bad })
        .expect(400);
    expect(t.simulator.attempts).toHaveLength(0);
  });

  it('JSON nested deeper than 32 levels: 400', async () => {
    let nested: unknown = 'deep';
    for (let i = 0; i < 40; i += 1) nested = { a: nested };
    const response = await t
      .http()
      .post('/profiles')
      .send({ ...uniqueProfile(), extra: nested })
      .expect(400);
    expect(response.body.message).toMatch(/nested deeper than 32/);
  });

  it('only JSON bodies are parsed: form-encoded and plain text are 415', async () => {
    await t
      .http()
      .post('/profiles')
      .type('form')
      .send('profession=Nurse&industry=Care&experienceLevel=Beginner')
      .expect(415);
    await t
      .http()
      .post('/profiles')
      .set('content-type', 'text/plain')
      .send('profession=Nurse')
      .expect(415);
  });

  it('in open mode a made-up x-api-key never opens a fresh rate-limit bucket', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const response = await t
        .http()
        .post('/profiles')
        .set('x-api-key', `random-${i}-${Date.now()}`)
        .send(uniqueProfile());
      statuses.push(response.status);
    }
    expect(statuses).toContain(429);
  });
});
