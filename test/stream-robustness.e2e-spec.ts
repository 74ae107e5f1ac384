import { AddressInfo } from 'node:net';
import OpenAI, { APIError } from 'openai';
import {
  ANTHROPIC,
  GEMINI_FALLBACK,
  OPENAI,
  openAiClientFor,
  PRIMARY,
  startTestApp,
  TestApp,
} from './support/test-app';

/** The answer every route gives, so that a continuation on another route can be checked against it. */
const CANON =
  'A gateway earns trust only when the provider behind it misbehaves: anyone can forward a healthy answer, but ' +
  'only a careful gateway notices a stalled stream, a cut connection or a broken event, hands the conversation to ' +
  'the next provider with what was already said, and delivers one whole answer without repeating itself.';
const hello = [{ role: 'user' as const, content: 'Explain why gateways earn trust.' }];

/** A streamed /v1 call read as raw server-sent events: the text, the events and the comments. */
async function streamRaw(t: TestApp, body: object) {
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: hello, stream: true, ...body }),
  });
  const raw = await response.text();
  const events = raw
    .split('\n\n')
    .filter((block) => block.startsWith('data: ') && block !== 'data: [DONE]')
    .map((block) => JSON.parse(block.slice(6)) as Record<string, any>);
  const text = events.map((event) => event.choices?.[0]?.delta?.content ?? '').join('');
  return {
    response,
    raw,
    events,
    text,
    last: events.filter((event) => event.choices?.length).at(-1),
  };
}

describe('Streams that fail mid-answer are continued on the next route (defaults: continuation on)', () => {
  let t: TestApp;
  let client: OpenAI;
  beforeAll(async () => {
    t = await startTestApp({
      LLM_ATTEMPT_TIMEOUT_MS: '5000',
      LLM_FIRST_TOKEN_TIMEOUT_MS: '400',
      LLM_STREAM_IDLE_TIMEOUT_MS: '400',
      LLM_ALLOWED_ROUTES: 'anthropic:*',
    });
    client = await openAiClientFor(t);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    t.resetRouting(); // each test starts on the primary
    t.simulator.reset();
    t.simulator.streamGapMs = 20; // the first deltas reach the caller before the fault
    for (const route of [PRIMARY, GEMINI_FALLBACK, OPENAI, ANTHROPIC])
      t.simulator.always(route, { fault: 'ok', text: CANON });
  });

  it('a cut stream goes on from where it stopped on the fallback (Gemini takes a prefill): one whole answer', async () => {
    t.simulator.script(PRIMARY, { fault: 'stream_cut', text: CANON });
    const { text, last, raw, response } = await streamRaw(t, { model: 'default' });
    expect(response.status).toBe(200);
    expect(text).toBe(CANON);
    expect(last?.choices[0].finish_reason).toBe('stop');
    expect(last?.llm_continuations).toEqual([
      { from: PRIMARY, to: GEMINI_FALLBACK, reason: 'truncated', method: 'prefill' },
    ]);
    expect(raw).toContain(
      `: llm-continuation ${PRIMARY} -> ${GEMINI_FALLBACK} (truncated, prefill)`,
    );
    expect(raw.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const metrics = (await t.http().get('/metrics')).text;
    expect(metrics).toMatch(/llm_stream_continuations_total\{[^}]*method="prefill"[^}]*\} 1/);
  });

  it('a route without prefill gets an instruction, and the words it repeats are not shown twice', async () => {
    t.simulator.script(PRIMARY, { fault: 'stream_reset', text: CANON });
    t.simulator.script(GEMINI_FALLBACK, 'overloaded');
    const { text, last } = await streamRaw(t, { model: 'default' });
    expect(text).toBe(CANON);
    expect(last?.llm_continuations).toEqual([
      { from: PRIMARY, to: OPENAI, reason: 'network', method: 'instruction' },
    ]);
  });

  it('a stream that stalls is continued after the idle timeout, through the official SDK', async () => {
    t.simulator.script(PRIMARY, { fault: 'stream_stall', text: CANON });
    const stream = await client.chat.completions.create({
      model: 'default',
      messages: hello,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(CANON);
    expect(t.simulator.routesSeen()).toEqual([PRIMARY, GEMINI_FALLBACK]);
  });

  it('a fallback that rejects prefill gets the instruction at once: the prefill 400 never reaches the caller', async () => {
    const noPrefill = 'anthropic:fb-ok-noprefill';
    t.simulator.always(noPrefill, { fault: 'ok', text: CANON });
    t.simulator.script(GEMINI_FALLBACK, { fault: 'stream_cut', text: CANON });
    const first = await streamRaw(t, { model: GEMINI_FALLBACK, fallbacks: [noPrefill] });
    expect(first.text).toBe(CANON);
    expect(first.last?.llm_continuations).toEqual([
      { from: GEMINI_FALLBACK, to: noPrefill, reason: 'truncated', method: 'instruction' },
    ]);
    const onFallback = t.simulator.attempts.filter((attempt) => attempt.route === noPrefill);
    expect(onFallback.map((attempt) => attempt.prefillRejected === true)).toEqual([true, false]);

    // Remembered: the next continuation on that route skips the prefill.
    t.simulator.script(GEMINI_FALLBACK, { fault: 'stream_cut', text: CANON });
    const second = await streamRaw(t, { model: GEMINI_FALLBACK, fallbacks: [noPrefill] });
    expect(second.text).toBe(CANON);
    const later = t.simulator.attempts.filter((attempt) => attempt.route === noPrefill).slice(2);
    expect(later.map((attempt) => attempt.prefillRejected === true)).toEqual([false]);

    // The caller's chain is visible beside the configured one.
    const status = await t.http().get('/health/llm').expect(200);
    const chains = (status.body.requestChains as Array<{ routes: Array<{ route: string }> }>).map(
      (chain) => chain.routes.map((entry) => entry.route),
    );
    expect(chains).toContainEqual([GEMINI_FALLBACK, noPrefill]);
  });

  it('newer Claude models are never sent a prefill (known to reject it)', async () => {
    const sonnet = 'anthropic:claude-sonnet-4-6';
    t.simulator.always(sonnet, { fault: 'ok', text: CANON });
    t.simulator.script(GEMINI_FALLBACK, { fault: 'stream_cut', text: CANON });
    const { text, last } = await streamRaw(t, { model: GEMINI_FALLBACK, fallbacks: [sonnet] });
    expect(text).toBe(CANON);
    expect(last?.llm_continuations[0].method).toBe('instruction');
    expect(t.simulator.attempts.some((attempt) => attempt.prefillRejected)).toBe(false);
  });

  it('a malformed event is skipped and counted; the stream completes on the same route', async () => {
    t.simulator.script(PRIMARY, { fault: 'stream_malformed', text: CANON });
    const { text, last } = await streamRaw(t, { model: 'default' });
    expect(text).toBe(CANON);
    expect(last?.llm_continuations).toBeUndefined();
    expect(t.simulator.routesSeen()).toEqual([PRIMARY]);
    const metrics = (await t.http().get('/metrics')).text;
    expect(metrics).toMatch(/^llm_stream_malformed_events_total\{provider="gemini"\} [1-9]/m);
  });

  it.each([OPENAI, ANTHROPIC])(
    'a malformed event from %s is skipped too (each wire format)',
    async (target) => {
      t.simulator.script(target, { fault: 'stream_malformed', text: CANON });
      const { text } = await streamRaw(t, { model: target });
      expect(text).toBe(CANON);
      expect(t.simulator.routesSeen()).toEqual([target]);
    },
  );

  it('a slow first token fails over at LLM_FIRST_TOKEN_TIMEOUT_MS, well inside the attempt timeout', async () => {
    t.simulator.script(PRIMARY, { fault: 'slow_first_token', delayMs: 4_000, text: CANON });
    const { text, response } = await streamRaw(t, { model: 'default' });
    expect(text).toBe(CANON);
    expect(response.headers.get('x-llm-attempts')).toBe(
      `${PRIMARY}=timeout,${GEMINI_FALLBACK}=success`,
    );
  });

  it('the first-token timeout is for streams only: a non-streamed call waits up to the attempt timeout', async () => {
    t.simulator.script(PRIMARY, { fault: 'slow', delayMs: 800, text: CANON });
    const completion = await client.chat.completions.create({ model: 'default', messages: hello });
    expect(completion.choices[0].message.content).toBe(CANON);
    expect(t.simulator.routesSeen()).toEqual([PRIMARY]);
  });

  it('a length finish is the caller’s limit, not a failure: it is not continued', async () => {
    t.simulator.script(PRIMARY, { fault: 'truncated', text: CANON });
    const { text, last } = await streamRaw(t, { model: 'default', max_tokens: 50 });
    expect(last?.choices[0].finish_reason).toBe('length');
    expect(CANON.startsWith(text)).toBe(true);
    expect(t.simulator.routesSeen()).toEqual([PRIMARY]);
  });
});

describe('LLM_STREAM_CONTINUATION=off: a mid-stream failure ends the stream with an error event', () => {
  let t: TestApp;
  let client: OpenAI;
  beforeAll(async () => {
    t = await startTestApp({ LLM_STREAM_CONTINUATION: 'off', LLM_STREAM_IDLE_TIMEOUT_MS: '400' });
    client = await openAiClientFor(t);
  });
  afterAll(() => t.close());

  it.each([
    ['a stream that ends without its end marker', 'stream_cut', 'stream_truncated'],
    ['a connection reset mid-stream', 'stream_reset', 'stream_network'],
    ['a stream that stalls past the idle timeout', 'stream_stall', 'stream_timeout'],
  ] as const)(
    '%s: error event, not a success, not retried elsewhere',
    async (_name, fault, code) => {
      t.simulator.reset();
      t.simulator.streamGapMs = 50;
      t.simulator.script(PRIMARY, fault);
      const stream = await client.chat.completions.create({
        model: 'default',
        messages: hello,
        stream: true,
      });
      let text = '';
      let caught: unknown;
      try {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(OpenAI.APIError);
      expect((caught as APIError).code).toBe(code);
      expect(text.length).toBeGreaterThan(0);
      expect(t.simulator.routesSeen()).toEqual([PRIMARY]);
    },
  );
});
