import OpenAI, { APIError } from 'openai';
import {
  GEMINI_FALLBACK,
  openAiClientFor,
  PRIMARY,
  route,
  startTestApp,
  TestApp,
  uniqueProfile,
} from './support/test-app';

/**
 * The SDK traps of shared/reference/provider-apis.md, re-verified on the current majors (openai 7,
 * @google/genai 3): no SDK resends a request by itself; the fallback loop is the only retry loop.
 */
describe('Provider SDKs never retry on their own', () => {
  let t: TestApp;
  let client: OpenAI;

  beforeAll(async () => {
    t = await startTestApp({ LLM_STREAM_IDLE_TIMEOUT_MS: '500' });
    client = await openAiClientFor(t);
  });
  afterAll(() => t.close());
  beforeEach(() => t.simulator.reset());

  it('@google/genai: a CONTINUATION finish is not continued by the SDK; it is truncated and the loop falls back', async () => {
    t.simulator.script(PRIMARY, 'continuation');

    const response = await t.http().post('/profiles').send(uniqueProfile()).expect(201);

    expect(
      response.body.llm.attempts.map((a: { outcome: string } & Parameters<typeof route>[0]) => [
        route(a),
        a.outcome,
      ]),
    ).toEqual([
      [PRIMARY, 'truncated'],
      [GEMINI_FALLBACK, 'success'],
    ]);
    expect(t.simulator.attemptsFor(PRIMARY)).toHaveLength(1);
  });

  it('@google/genai: a stream that pauses for continuation is not resumed by the SDK', async () => {
    t.simulator.streamGapMs = 20;
    t.simulator.script(PRIMARY, 'continuation');
    const stream = await client.chat.completions.create({
      model: PRIMARY,
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
    });
    let caught: unknown;
    try {
      for await (const chunk of stream) void chunk;
    } catch (error) {
      caught = error;
    }
    expect((caught as APIError).code).toBe('stream_truncated');
    expect(t.simulator.routesSeen()).toEqual([PRIMARY]);
  });

  it.each(['overloaded', 'server_error', 'rate_limited', 'reset'] as const)(
    'every SDK: a %s is answered by one request per attempt the loop decides on, never by SDK retries',
    async (fault) => {
      for (const target of [PRIMARY, 'openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5-20251001']) {
        t.simulator.reset();
        t.simulator.always(target, fault);
        await client.chat.completions
          .create({ model: target, messages: [{ role: 'user', content: 'hi' }] })
          .catch(() => undefined);
        // The loop retries a 5xx or a reset once on the same route, a 429 without Retry-After never, a 503 never.
        const expected = fault === 'server_error' || fault === 'reset' ? 2 : 1;
        expect(t.simulator.attemptsFor(target)).toHaveLength(expected);
      }
    },
  );
});
