import { RouteStateRegistry } from '../src/llm/route-state/route-state.registry';
import {
  ANTHROPIC,
  GEMINI_FALLBACK,
  OPENAI,
  PRIMARY,
  startTestApp,
  TestApp,
  uniqueProfile,
  route,
  AttemptBody,
} from './support/test-app';

describe('Fallback across providers (real SDKs against the simulator)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // These tests look at one request's policy; circuits (recovery.e2e-spec.ts) would carry state between them.
    t = await startTestApp({ LLM_CIRCUIT_FAILURE_THRESHOLD: '100' });
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => {
    t.simulator.reset();
    t.resetRouting();
  });

  const createProfile = () => t.http().post('/profiles').send(uniqueProfile());

  it('seed scenario: 503 → truncated JSON → OpenAI answers, and the next request goes straight to OpenAI', async () => {
    t.simulator.script(PRIMARY, 'overloaded').script(GEMINI_FALLBACK, 'truncated');

    const first = await createProfile().expect(201);

    expect(first.body.llm.provider).toBe('openai');
    expect(first.body.llm.model).toBe('gpt-4o-mini');
    expect(first.body.llm.fallbackUsed).toBe(true);
    expect(first.body.llm.attempts.map((a: AttemptBody) => [route(a), a.outcome])).toEqual([
      [PRIMARY, 'overloaded'],
      [GEMINI_FALLBACK, 'truncated'],
      [OPENAI, 'success'],
    ]);
    expect(first.body.llm.attempts[0].status).toBe(503);
    expect(first.body.profile.dailyResponsibilities.length).toBeGreaterThan(0);
    expect(t.simulator.routesSeen()).toEqual([PRIMARY, GEMINI_FALLBACK, OPENAI]);
    expect(
      t.logs.includes('gemini/gemini-3-flash-preview overloaded (503); trying next route'),
    ).toBe(true);
    expect(t.logs.includes('Falling back to openai/gpt-4o-mini')).toBe(true);
    expect(
      t.logs.includes(
        'Switched from gemini/gemini-3-flash-preview to openai/gpt-4o-mini (overloaded)',
      ),
    ).toBe(true);

    const second = await createProfile().expect(201);
    expect(second.body.llm.attempts.map(route)).toEqual([OPENAI]);
    expect(t.simulator.routesSeen()).toEqual([PRIMARY, GEMINI_FALLBACK, OPENAI, OPENAI]);
    expect(t.app.get(RouteStateRegistry).defaultState.sticky()).toMatchObject({
      route: { provider: 'openai' },
      reason: 'overloaded',
    });
  });

  it('overload on every provider (Gemini 503, OpenAI 503, Anthropic 529) moves on at once and ends in a 503', async () => {
    t.simulator.always(PRIMARY, 'overloaded').always(GEMINI_FALLBACK, 'overloaded');
    t.simulator.always(OPENAI, 'overloaded').always(ANTHROPIC, 'overloaded');

    const response = await createProfile().expect(503);

    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    expect(response.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(response.body.attempts.map((a: AttemptBody) => [route(a), a.outcome, a.status])).toEqual(
      [
        [PRIMARY, 'overloaded', 503],
        [GEMINI_FALLBACK, 'overloaded', 503],
        [OPENAI, 'overloaded', 503],
        [ANTHROPIC, 'overloaded', 529],
      ],
    );
    expect(t.simulator.attempts).toHaveLength(4);
    expect(t.logs.includes('All routes failed')).toBe(true);
  });

  it('retries a 500 once on the same route after a short backoff', async () => {
    t.simulator.script(PRIMARY, 'server_error');

    const response = await createProfile().expect(201);

    expect(response.body.llm.attempts.map((a: AttemptBody) => [route(a), a.outcome])).toEqual([
      [PRIMARY, 'server_error'],
      [PRIMARY, 'success'],
    ]);
    const [failed, retried] = t.simulator.attemptsFor(PRIMARY);
    expect(retried.at - failed.at).toBeGreaterThanOrEqual(45);
  });

  it('moves on after a second 5xx (502) instead of retrying again', async () => {
    t.simulator.script(PRIMARY, 'server_error', 'bad_gateway');

    const response = await createProfile().expect(201);

    expect(
      response.body.llm.attempts.map((a: AttemptBody) => [route(a), a.outcome, a.status]),
    ).toEqual([
      [PRIMARY, 'server_error', 500],
      [PRIMARY, 'server_error', 502],
      [GEMINI_FALLBACK, 'success', undefined],
    ]);
  });

  it('treats a connection reset like a 5xx: one retry, then the next route', async () => {
    t.simulator.script(PRIMARY, 'reset', 'reset');

    const response = await createProfile().expect(201);

    expect(response.body.llm.attempts.map((a: AttemptBody) => [route(a), a.outcome])).toEqual([
      [PRIMARY, 'network'],
      [PRIMARY, 'network'],
      [GEMINI_FALLBACK, 'success'],
    ]);
  });

  it('waits out a short Retry-After on Gemini (read through the fetch wrapper) and retries that route once', async () => {
    t.simulator.script(PRIMARY, { fault: 'rate_limited', retryAfterSeconds: 1 });

    const response = await createProfile().expect(201);

    expect(response.body.llm.attempts.map((a: AttemptBody) => [route(a), a.outcome])).toEqual([
      [PRIMARY, 'rate_limited'],
      [PRIMARY, 'success'],
    ]);
    const [limited, retried] = t.simulator.attemptsFor(PRIMARY);
    expect(retried.at - limited.at).toBeGreaterThanOrEqual(990);
  });

  it("honours OpenAI's retry-after-ms", async () => {
    t.simulator.always(PRIMARY, 'overloaded').always(GEMINI_FALLBACK, 'overloaded');
    t.simulator.script(OPENAI, { fault: 'rate_limited', retryAfterMs: 300 });

    const response = await createProfile().expect(201);

    expect(response.body.llm.provider).toBe('openai');
    const [limited, retried] = t.simulator.attemptsFor(OPENAI);
    expect(retried.at - limited.at).toBeGreaterThanOrEqual(290);
  });

  it('does not wait for a long Retry-After, nor retry a 429 without one: next route at once', async () => {
    t.simulator.script(PRIMARY, { fault: 'rate_limited', retryAfterSeconds: 30 });
    t.simulator.script(GEMINI_FALLBACK, { fault: 'rate_limited' });

    const response = await createProfile().expect(201);

    expect(response.body.llm.attempts.map((a: AttemptBody) => [route(a), a.outcome])).toEqual([
      [PRIMARY, 'rate_limited'],
      [GEMINI_FALLBACK, 'rate_limited'],
      [OPENAI, 'success'],
    ]);
    // No same-route retry. And no wait: sitting out the 30 s would have passed the 8 s request deadline, which ends
    // in a 503, not in this 201 from the third route.
    expect(t.simulator.attemptsFor(PRIMARY)).toHaveLength(1);
  });

  it('gives up on a hung route at the attempt timeout and does not retry it', async () => {
    t.simulator.script(PRIMARY, 'hang');

    const response = await createProfile().expect(201);

    expect(response.body.llm.attempts.map((a: AttemptBody) => [route(a), a.outcome])).toEqual([
      [PRIMARY, 'timeout'],
      [GEMINI_FALLBACK, 'success'],
    ]);
    expect(response.body.llm.attempts[0].durationMs).toBeGreaterThanOrEqual(1400);
    expect(t.simulator.attemptsFor(PRIMARY)).toHaveLength(1);
  });

  it('accepts a slow answer that arrives inside the attempt timeout', async () => {
    t.simulator.script(PRIMARY, { fault: 'slow', delayMs: 400 });

    const response = await createProfile().expect(201);

    expect(response.body.llm.attempts.map((a: AttemptBody) => [route(a), a.outcome])).toEqual([
      [PRIMARY, 'success'],
    ]);
  });

  it.each([
    ['prose instead of JSON', 'prose', 'invalid_output'],
    ['JSON that breaks the schema', 'schema_violation', 'invalid_output'],
    ["Gemini's HTTP 200 with promptFeedback.blockReason", 'blocked', 'content_blocked'],
    ['Gemini MAX_TOKENS', 'truncated', 'truncated'],
  ] as const)('moves to the next route on %s', async (_name, fault, outcome) => {
    t.simulator.script(PRIMARY, fault);

    const response = await createProfile().expect(201);

    expect(response.body.llm.attempts.map((a: AttemptBody) => [route(a), a.outcome])).toEqual([
      [PRIMARY, outcome],
      [GEMINI_FALLBACK, 'success'],
    ]);
  });

  it.each([
    ['OpenAI finish_reason length', OPENAI, 'truncated', 'truncated'],
    ['OpenAI content_filter refusal', OPENAI, 'blocked', 'content_blocked'],
    ['OpenAI context_length_exceeded', OPENAI, 'context_length', 'context_length'],
    ['OpenAI prose', OPENAI, 'prose', 'invalid_output'],
    ['Anthropic stop_reason max_tokens', ANTHROPIC, 'truncated', 'truncated'],
    ['Anthropic refusal', ANTHROPIC, 'blocked', 'content_blocked'],
    ['Anthropic prose instead of the forced tool', ANTHROPIC, 'prose', 'invalid_output'],
    ['Anthropic schema-breaking tool input', ANTHROPIC, 'schema_violation', 'invalid_output'],
  ] as const)('classifies %s and moves on', async (_name, target, fault, outcome) => {
    t.simulator.always(PRIMARY, 'overloaded').always(GEMINI_FALLBACK, 'overloaded');
    if (target === ANTHROPIC) t.simulator.always(OPENAI, 'overloaded');
    t.simulator.script(target, fault);

    const response = await createProfile();

    const targetAttempt = (response.body.llm?.attempts ?? response.body.attempts).find(
      (a: AttemptBody) => route(a) === target,
    );
    expect(targetAttempt.outcome).toBe(outcome);
    if (target === OPENAI) {
      expect(response.status).toBe(201);
      expect(response.body.llm.provider).toBe('anthropic');
    } else {
      expect(response.status).toBe(503);
    }
  });

  it('answers through Anthropic when everything before it is down', async () => {
    t.simulator
      .always(PRIMARY, 'overloaded')
      .always(GEMINI_FALLBACK, 'overloaded')
      .always(OPENAI, 'unavailable');

    const response = await createProfile().expect(201);

    expect(response.body.llm.provider).toBe('anthropic');
    expect(response.body.profile.painPoints.length).toBeGreaterThanOrEqual(2);
    expect(t.simulator.attemptsFor(ANTHROPIC)[0].hasSchema).toBe(true);
  });

  it('serves 40 parallel requests while the primary is down, all through the fallback', async () => {
    t.simulator.always(PRIMARY, 'overloaded');

    const responses = await Promise.all(Array.from({ length: 40 }, () => createProfile()));

    expect(responses.map((response) => response.status)).toEqual(Array(40).fill(201));
    expect(
      new Set(
        responses.map((response) => `${response.body.llm.provider}:${response.body.llm.model}`),
      ),
    ).toEqual(new Set([GEMINI_FALLBACK]));
    // Each request tried the primary at most once, and none retried it.
    expect(t.simulator.attemptsFor(PRIMARY).length).toBeLessThanOrEqual(40);
    const afterwards = await createProfile().expect(201);
    expect(afterwards.body.llm.attempts.map(route)).toEqual([GEMINI_FALLBACK]);
  });
});

describe('Deadlines and bad keys', () => {
  // The one real-time smoke test: the deadline itself is what it checks, so it reads the wall clock (with a
  // generous margin for a busy machine). Everything else asserts behaviour, not elapsed time.
  it('[real-time smoke] answers 503 at the request deadline when every route hangs, starting nothing that cannot finish', async () => {
    const t = await startTestApp({
      LLM_ATTEMPT_TIMEOUT_MS: '1500',
      LLM_REQUEST_TIMEOUT_MS: '2800',
    });
    try {
      t.simulator
        .always(PRIMARY, 'hang')
        .always(GEMINI_FALLBACK, 'hang')
        .always(OPENAI, 'hang')
        .always(ANTHROPIC, 'hang');
      const started = Date.now();

      const response = await t.http().post('/profiles').send(uniqueProfile()).expect(503);

      const elapsed = Date.now() - started;
      // 1.5 s for the first attempt, the 1.3 s left for the second, then nothing starts that could not finish.
      expect(elapsed).toBeGreaterThanOrEqual(2700);
      expect(elapsed).toBeLessThan(2800 + 2000);
      expect(response.headers['retry-after']).toBeDefined();
      expect(response.body.attempts.map((a: AttemptBody) => [route(a), a.outcome])).toEqual([
        [PRIMARY, 'timeout'],
        [GEMINI_FALLBACK, 'timeout'],
      ]);
      expect(t.simulator.attempts).toHaveLength(2);
    } finally {
      await t.close();
    }
  });

  it('disables a route whose key is rejected, for the life of the process, and logs it once', async () => {
    const t = await startTestApp();
    try {
      t.simulator.always(PRIMARY, 'unauthorized');

      const first = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
      t.resetRouting();
      const second = await t.http().post('/profiles').send(uniqueProfile()).expect(201);

      expect(
        first.body.llm.attempts.map((a: AttemptBody) => [route(a), a.outcome, a.status]),
      ).toEqual([
        [PRIMARY, 'auth', 401],
        [GEMINI_FALLBACK, 'success', undefined],
      ]);
      expect(second.body.llm.attempts.map(route)).toEqual([GEMINI_FALLBACK]);
      expect(t.simulator.attemptsFor(PRIMARY)).toHaveLength(1);
      expect(
        t.logs.lines.filter((line) => line.includes('Disabled gemini/gemini-3-flash-preview')),
      ).toHaveLength(1);
      const status = await t.http().get('/health/llm').expect(200);
      expect(status.body.routes[0]).toMatchObject({
        model: 'gemini-3-flash-preview',
        state: 'disabled',
      });
    } finally {
      await t.close();
    }
  });
});

describe('Gateway callers cannot steer the service’s own routing', () => {
  /** The sticky route of the service's chain, and of the gateway's (when it has been used). */
  async function sticky(t: TestApp) {
    const status = (await t.http().get('/health/llm').expect(200)).body as {
      sticky: { provider: string; model: string };
      requestChains: Array<{ scope: string; routes: Array<{ route: string; sticky: boolean }> }>;
    };
    const gateway = status.requestChains.find((chain) => chain.scope === 'gateway');
    return {
      service: `${status.sticky.provider}:${status.sticky.model}`,
      gateway: gateway?.routes.find((entry) => entry.sticky)?.route,
    };
  }
  const ask = (t: TestApp) =>
    t
      .http()
      .post('/v1/chat/completions')
      .send({ model: 'default', messages: [{ role: 'user', content: 'hi' }] })
      .expect(200);

  it('by default /v1 failovers move the gateway’s routing state, not the one profiles and lessons use', async () => {
    const t = await startTestApp();
    try {
      t.simulator.always(PRIMARY, 'overloaded');
      await ask(t);
      expect(await sticky(t)).toEqual({ service: PRIMARY, gateway: GEMINI_FALLBACK });
      // The service's own call still starts on its primary (and moves its own state when it fails there).
      const profile = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
      expect(profile.body.llm.attempts[0]).toMatchObject({ model: 'gemini-3-flash-preview' });
    } finally {
      await t.close();
    }
  });

  it('LLM_GATEWAY_ROUTING=shared gives both one state, where what a caller can shape does not count', async () => {
    const t = await startTestApp({ LLM_GATEWAY_ROUTING: 'shared' });
    try {
      // Rate limits (one key's traffic) and timeouts (a huge output) on caller traffic: served by the fallback,
      // but the shared circuit and sticky route stay put.
      t.simulator.always(PRIMARY, 'rate_limited');
      for (let i = 0; i < 4; i += 1) await ask(t);
      expect(await sticky(t)).toEqual({ service: PRIMARY, gateway: undefined });
      const routes = (await t.http().get('/health/llm')).body.routes as Array<{ state: string }>;
      expect(routes[0].state).toBe('closed');
      // The service's own call on the same rate limit counts, as does a provider outage on caller traffic.
      await t.http().post('/profiles').send(uniqueProfile()).expect(201);
      expect((await sticky(t)).service).toBe(GEMINI_FALLBACK);
      t.resetRouting();
      t.simulator.always(PRIMARY, 'overloaded');
      await ask(t);
      expect(await sticky(t)).toEqual({ service: GEMINI_FALLBACK, gateway: undefined });
    } finally {
      await t.close();
    }
  });
});
