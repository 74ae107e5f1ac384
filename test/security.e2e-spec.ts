import {
  ANTHROPIC,
  FAKE_KEYS,
  GEMINI_FALLBACK,
  OPENAI,
  PRIMARY,
  startTestApp,
  TestApp,
  uniqueProfile,
} from './support/test-app';

const CLIENT_KEYS = [
  'client-key-AAAA1111BBBB2222',
  'client-key-CCCC3333DDDD4444',
  'client-key-EEEE5555FFFF6666',
];

describe('API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ API_KEYS: CLIENT_KEYS.join(','), RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('protects every endpoint but liveness, readiness and metrics: missing or wrong key → 401 JSON', async () => {
    const missing = await t.http().post('/profiles').send(uniqueProfile()).expect(401);
    expect(missing.body).toMatchObject({
      statusCode: 401,
      message: expect.stringContaining('Missing API key'),
    });
    const wrong = await t
      .http()
      .post('/profiles')
      .set('x-api-key', 'client-key-AAAA1111BBBB2223')
      .send(uniqueProfile())
      .expect(401);
    expect(wrong.body.message).toBe('Invalid API key');
    await t.http().get('/courses').expect(401);
    await t.http().get('/lessons/1b4e28ba-2fa1-4d2e-8c3b-6f2d1e7a9c10').expect(401);
    const models = await t.http().get('/v1/models').set('authorization', 'Bearer nope').expect(401);
    expect(models.body.error).toMatchObject({
      type: 'authentication_error',
      message: 'Invalid API key',
    });
    for (const open of ['/health/live', '/health/ready', '/metrics'])
      await t.http().get(open).expect(200);
    // The route status names providers and models: it needs a key.
    await t.http().get('/health/llm').expect(401);
    await t.http().get('/health/llm').set('x-api-key', 'client-key-AAAA1111BBBB2222').expect(200);
    expect(t.simulator.attempts).toHaveLength(0);
  });

  it('accepts a key as x-api-key or Authorization: Bearer', async () => {
    const input = uniqueProfile();
    const created = await t
      .http()
      .post('/profiles')
      .set('x-api-key', CLIENT_KEYS[0])
      .send(input)
      .expect(201);
    // The same key as a bearer token: its own stored profile.
    const cached = await t
      .http()
      .post('/profiles')
      .set('authorization', `Bearer ${CLIENT_KEYS[0]}`)
      .send(input)
      .expect(200);
    expect(cached.body.id).toBe(created.body.id);
    await t.http().get('/courses').set('authorization', `bearer ${CLIENT_KEYS[1]}`).expect(200);
  });

  it('rate-limits generating endpoints per key, one budget across them: 429 with Retry-After; other keys and reads unaffected', async () => {
    const key = CLIENT_KEYS[2];
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      statuses.push(
        (await t.http().post('/profiles').set('x-api-key', key).send(uniqueProfile())).status,
      );
    }
    const limited = await t
      .http()
      .post('/profiles')
      .set('x-api-key', key)
      .send(uniqueProfile())
      .expect(429);
    // When the minute's window resets, not a whole minute from the refusal.
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.body.statusCode).toBe(429);
    const chat = await t
      .http()
      .post('/v1/chat/completions')
      .set('x-api-key', key)
      .send({ model: 'default', messages: [{ role: 'user', content: 'hi' }] })
      .expect(429);
    expect(chat.body.error.type).toBe('rate_limit_error');
    await t.http().get('/courses').set('x-api-key', key).expect(200);
    await t
      .http()
      .post('/profiles')
      .set('x-api-key', CLIENT_KEYS[0])
      .send(uniqueProfile())
      .expect(201);
    expect(statuses.every((status) => status === 201 || status === 200)).toBe(true);
  });

  it('GET / is a page, open without a key, that points to /status, /docs and /v1', async () => {
    const home = await t.http().get('/').expect(200);
    expect(home.headers['content-type']).toMatch(/text\/html/);
    expect(home.text).toContain('href="/status"');
    expect(home.text).toContain('href="/docs"');
    expect(home.text).toContain('/v1');
    expect(home.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('sets security headers and keeps CORS off without CORS_ORIGINS', async () => {
    const response = await t
      .http()
      .get('/health/live')
      .set('origin', 'https://evil.example')
      .expect(200);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['x-powered-by']).toBeUndefined();
  });
});

describe('Boot rules and CORS', () => {
  it('refuses to boot in production without API_KEYS, naming the variable', async () => {
    await expect(startTestApp({ NODE_ENV: 'production' })).rejects.toThrow(
      /API_KEYS: with NODE_ENV=production/,
    );
  });

  it('allows the configured CORS origins only', async () => {
    const t = await startTestApp({ CORS_ORIGINS: 'https://app.example' });
    try {
      const allowed = await t
        .http()
        .get('/health/live')
        .set('origin', 'https://app.example')
        .expect(200);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
      const other = await t
        .http()
        .get('/health/live')
        .set('origin', 'https://evil.example')
        .expect(200);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});

describe('Load shedding', () => {
  it('a full provider counts as overloaded (next route); with every provider full, 503 at once', async () => {
    const t = await startTestApp({ LLM_MAX_CONCURRENCY: '2', LLM_QUEUE_SIZE: '0' });
    try {
      t.simulator.latencyMs = 800;
      const responses = await Promise.all(
        Array.from({ length: 8 }, () =>
          t
            .http()
            .post('/profiles')
            .send(uniqueProfile())
            .then((response) => ({ response })),
        ),
      );
      const served = responses.filter(({ response }) => response.status === 201);
      const shed = responses.filter(({ response }) => response.status === 503);
      // Two in flight per provider: gemini (both of its routes share the limit), openai, anthropic.
      expect(served).toHaveLength(6);
      expect(shed).toHaveLength(2);
      // "At once": shed without waiting on a provider (no attempt took any time) and without calling one.
      expect(t.simulator.attempts).toHaveLength(6);
      for (const { response } of shed) {
        expect(response.headers['retry-after']).toBeDefined();
        expect(
          response.body.attempts.every(
            (attempt: { outcome: string; durationMs: number }) =>
              attempt.outcome === 'overloaded' && attempt.durationMs === 0,
          ),
        ).toBe(true);
      }
      const providers = served.map(({ response }) => response.body.llm.provider).sort();
      expect(providers).toEqual(['anthropic', 'anthropic', 'gemini', 'gemini', 'openai', 'openai']);
      const status = await t.http().get('/health/llm').expect(200);
      expect(status.body.routes.every((route: { state: string }) => route.state === 'closed')).toBe(
        true,
      );
    } finally {
      await t.close();
    }
  });
});

describe('Secrets', () => {
  /** Every 6-character window of a secret: no prefix, suffix or middle part of it may appear anywhere. */
  function fragments(secret: string): string[] {
    const windows: string[] = [];
    for (let start = 0; start + 6 <= secret.length; start += 1)
      windows.push(secret.slice(start, start + 6));
    return windows.filter((window) => !/^[a-z-]+$/.test(window)); // plain words like "client" are not key material
  }

  it('no fragment of a provider or client key appears in logs, errors, responses, /health/llm or metrics', async () => {
    const t = await startTestApp({ API_KEYS: CLIENT_KEYS.join(','), LOG_LEVEL: 'debug' });
    const captured: string[] = [];
    const auth = { 'x-api-key': CLIENT_KEYS[0] };
    const record = (response: {
      status: number;
      headers: Record<string, unknown>;
      text: string;
    }) => {
      captured.push(String(response.status), JSON.stringify(response.headers), response.text ?? '');
      return response;
    };
    try {
      const profile = record(await t.http().post('/profiles').set(auth).send(uniqueProfile()));
      const profileId = JSON.parse(profile.text).id as string;
      record(
        await t.http().post('/lessons').set(auth).send({
          courseId: 'llm-foundations',
          lessonId: 'l07-human-oversight',
          difficulty: 4,
          profileId,
        }),
      );
      const faults = [
        'overloaded',
        'server_error',
        'unauthorized',
        'reset',
        'truncated',
        'prose',
        'schema_violation',
        'blocked',
        'context_length',
        'bad_request',
      ] as const;
      for (const fault of faults) {
        t.resetRouting();
        t.simulator.script(PRIMARY, fault, fault);
        record(await t.http().post('/profiles').set(auth).send(uniqueProfile()));
      }
      t.simulator.script(PRIMARY, { fault: 'rate_limited', retryAfterSeconds: 1 });
      record(await t.http().post('/profiles').set(auth).send(uniqueProfile()));
      for (const route of [PRIMARY, GEMINI_FALLBACK, OPENAI, ANTHROPIC])
        t.simulator.always(route, 'unauthorized');
      record(await t.http().post('/profiles').set(auth).send(uniqueProfile()));
      t.simulator.reset();
      record(
        await t
          .http()
          .post('/v1/chat/completions')
          .set(auth)
          .send({ model: OPENAI, messages: [{ role: 'user', content: 'hi' }] }),
      );
      record(
        await t
          .http()
          .post('/v1/chat/completions')
          .set(auth)
          .send({ model: ANTHROPIC, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      );
      record(
        await t
          .http()
          .post('/profiles')
          .set('x-api-key', `${CLIENT_KEYS[0]}x`)
          .send(uniqueProfile()),
      );
      record(
        await t
          .http()
          .post('/profiles')
          .set('authorization', `Bearer ${CLIENT_KEYS[1].slice(0, -1)}`)
          .send(uniqueProfile()),
      );
      record(
        await t
          .http()
          .post('/profiles')
          .set(auth)
          .set('content-type', 'application/json')
          .send('{"broken": '),
      );
      for (const path of [
        '/health/live',
        '/health/ready',
        '/health/llm',
        '/metrics',
        '/v1/models',
        '/courses',
      ]) {
        record(await t.http().get(path).set(auth));
      }
    } finally {
      await t.close();
    }
    captured.push(...t.logs.lines);
    const everything = captured.join('\n');
    expect(t.logs.lines.some((line) => line.includes('Calling'))).toBe(true);
    expect(t.logs.lines.some((line) => line.includes(' headers={'))).toBe(true); // debug request logs ran
    expect(t.logs.lines.some((line) => line.includes('Prompt [request'))).toBe(true); // and the debug prompt logs
    for (const secret of [...Object.values(FAKE_KEYS), ...CLIENT_KEYS]) {
      for (const fragment of fragments(secret)) expect(everything).not.toContain(fragment);
    }
  });
});
