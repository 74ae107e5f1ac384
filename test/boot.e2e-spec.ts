import { randomBytes } from 'node:crypto';
import {
  ANTHROPIC,
  FAKE_KEYS,
  GEMINI_FALLBACK,
  OPENAI,
  PRIMARY,
  startTestApp,
  uniqueProfile,
} from './support/test-app';

const NO_KEYS = {
  OPENAI_API_KEY: undefined,
  ANTHROPIC_API_KEY: undefined,
  GEMINI_API_KEY: undefined,
};

/** A production client key: 32 random bytes. */
const STRONG_KEY = `app:${randomBytes(32).toString('base64url')}`;

describe('Boot', () => {
  it('skips routes whose provider has no key, says so, and never calls them', async () => {
    const t = await startTestApp({ ANTHROPIC_API_KEY: undefined });
    try {
      t.simulator
        .always(PRIMARY, 'overloaded')
        .always(GEMINI_FALLBACK, 'overloaded')
        .always(OPENAI, 'overloaded');

      const response = await t.http().post('/profiles').send(uniqueProfile()).expect(503);

      expect(response.body.attempts.map((a: { provider: string }) => a.provider)).toEqual([
        'gemini',
        'gemini',
        'openai',
      ]);
      expect(t.simulator.attemptsFor(ANTHROPIC)).toHaveLength(0);
      expect(
        t.logs.includes(
          'Skipping anthropic/claude-haiku-4-5-20251001: ANTHROPIC_API_KEY is not set',
        ),
      ).toBe(true);
      expect(
        t.logs.includes(
          'LLM chain: gemini/gemini-3-flash-preview -> gemini/gemini-2.5-flash -> openai/gpt-4o-mini',
        ),
      ).toBe(true);
      const status = await t.http().get('/health/llm').expect(200);
      expect(
        status.body.routes.find((route: { provider: string }) => route.provider === 'anthropic'),
      ).toMatchObject({
        keyConfigured: false,
        state: 'skipped',
      });
    } finally {
      await t.close();
    }
  });

  it('honours LLM_PROVIDER, LLM_MODEL and LLM_FALLBACKS, dropping a fallback equal to the primary', async () => {
    const t = await startTestApp({
      LLM_PROVIDER: 'anthropic',
      LLM_MODEL: 'claude-haiku-4-5-20251001',
      LLM_FALLBACKS: 'anthropic:claude-haiku-4-5-20251001, openai:gpt-4o-mini',
    });
    try {
      t.simulator.always(ANTHROPIC, 'overloaded');
      const response = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
      expect(t.simulator.routesSeen()).toEqual([ANTHROPIC, OPENAI]);
      expect(response.body.llm).toMatchObject({ provider: 'openai', fallbackUsed: true });
    } finally {
      await t.close();
    }
  });

  it('with no key at all, runs on the embedded simulator and warns that answers are simulated', async () => {
    const t = await startTestApp({
      ...NO_KEYS,
      OPENAI_BASE_URL: undefined,
      ANTHROPIC_BASE_URL: undefined,
      GEMINI_BASE_URL: undefined,
    });
    try {
      const response = await t.http().post('/profiles').send(uniqueProfile()).expect(201);

      expect(response.body.llm.provider).toBe('gemini');
      expect(t.simulator.attempts).toHaveLength(0); // the test's simulator is not the one that answered
      expect(t.logs.includes('SIMULATED ANSWERS')).toBe(true);
      const status = await t.http().get('/health/llm').expect(200);
      expect(status.body.simulated).toBe(true);
      await t.http().get('/health/ready').expect(200);
    } finally {
      await t.close();
    }
  });

  it('refuses to boot in production without a key unless LLM_SIMULATOR=true', async () => {
    await expect(startTestApp({ ...NO_KEYS, NODE_ENV: 'production' })).rejects.toThrow(
      /NODE_ENV=production at least one key must be set/,
    );
    const t = await startTestApp({
      ...NO_KEYS,
      NODE_ENV: 'production',
      LLM_SIMULATOR: 'true',
      API_KEYS: STRONG_KEY,
      SHUTDOWN_DRAIN_MS: '0',
      // The suite may run on in-memory PGlite, which production refuses unless told otherwise (tested below).
      ALLOW_EMBEDDED_DATABASE: 'true',
    });
    await t.close();
  });

  it('refuses the embedded database in production unless ALLOW_EMBEDDED_DATABASE=true: one process, one database', async () => {
    const production = {
      NODE_ENV: 'production',
      API_KEYS: STRONG_KEY,
      SHUTDOWN_DRAIN_MS: '0',
    };
    for (const url of [undefined, 'pglite://memory'])
      await expect(startTestApp({ ...production, DATABASE_URL: url })).rejects.toThrow(
        /DATABASE_URL: with NODE_ENV=production set a postgres:\/\/ URL; the embedded database serves one process only/,
      );
    const t = await startTestApp({
      ...production,
      DATABASE_URL: 'pglite://memory',
      ALLOW_EMBEDDED_DATABASE: 'true',
    });
    await t.http().get('/health/ready').expect(200);
    await t.close();
  });

  it.each([
    ['LLM_PROVIDER', 'mistral', /LLM_PROVIDER must be one of/],
    ['LLM_FALLBACKS', 'openai-gpt4', /LLM_FALLBACKS: item 1 is not of the form provider:model/],
    ['LLM_ATTEMPT_TIMEOUT_MS', 'soon', /LLM_ATTEMPT_TIMEOUT_MS must be an integer/],
    ['LLM_REQUEST_TIMEOUT_MS', '50', /LLM_REQUEST_TIMEOUT_MS must not be less than 100/],
    ['OPENAI_BASE_URL', 'not a url', /OPENAI_BASE_URL must be a URL/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must start with/],
  ])(
    'stops the boot on a bad %s, naming it without echoing the value',
    async (name, value, message) => {
      const failure = startTestApp({ [name]: value });
      await expect(failure).rejects.toThrow(message);
      const error = (await failure.catch((caught: unknown) => caught)) as Error;
      expect(error.message).not.toContain(value);
    },
  );

  it('never echoes a key in a boot error', async () => {
    const error = await startTestApp({
      LLM_ATTEMPT_TIMEOUT_MS: '90000',
      LLM_REQUEST_TIMEOUT_MS: '1000',
    }).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /LLM_ATTEMPT_TIMEOUT_MS: must not exceed LLM_REQUEST_TIMEOUT_MS/,
    );
    for (const key of Object.values(FAKE_KEYS))
      expect((error as Error).message).not.toContain(key.slice(0, 8));
  });
});
