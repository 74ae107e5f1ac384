import { IsString } from 'class-validator';
import { FakeClock } from '../../test/support/fake-clock';
import { FakeProvider } from '../../test/support/fake-provider';
import { llmParts } from '../../test/support/llm-parts';
import { LlmModuleOptions } from './config/llm.config';
import { AllRoutesFailedError, RequestAbortedError } from './llm.errors';
import { LlmService } from './llm.service';
import { StreamEvent } from './llm.types';
import { parseRouteList, routeId } from './routes';

class Greeting {
  @IsString()
  text: string;
}

const chain = parseRouteList('gemini:primary,gemini:second,openai:third');

type Overrides = Pick<LlmModuleOptions, 'timeouts' | 'limits' | 'policy'>;

function setup(overrides: Overrides = {}) {
  const gemini = new FakeProvider('gemini');
  const openai = new FakeProvider('openai');
  const clock = new FakeClock();
  const parts = llmParts(
    {
      routes: { chain, providers: {} },
      ...overrides,
      timeouts: { attemptMs: 200, requestMs: 5_000, streamIdleMs: 100, ...overrides.timeouts },
      clock,
    },
    [gemini, openai],
  );
  const state = parts.registry.defaultState;
  const service = parts.service();
  const generate = (signal?: AbortSignal) =>
    service.generateObject({
      schema: Greeting,
      schemaName: 'greeting',
      system: 's',
      prompt: 'p',
      signal,
    });
  const seen = () => [
    ...gemini.calls.map((call) => `gemini:${call.model}`),
    ...openai.calls.map((call) => `openai:${call.model}`),
  ];
  return { gemini, openai, state, service, generate, seen, clock };
}

describe(LlmService.name, () => {
  it('returns the validated object with metadata from the primary', async () => {
    const { generate, gemini } = setup();
    const result = await generate();
    expect(result.value).toBeInstanceOf(Greeting);
    expect(result.value.text).toBe('hello');
    expect(result.meta).toMatchObject({
      provider: 'gemini',
      model: 'primary',
      fallbackUsed: false,
      usage: { inputTokens: 10, outputTokens: 5 },
      attempts: [{ provider: 'gemini', model: 'primary', outcome: 'success' }],
    });
    expect(gemini.calls[0].request.responseFormat).toMatchObject({
      type: 'json_schema',
      name: 'greeting',
      schema: { type: 'object', required: ['text'], additionalProperties: false },
    });
  });

  it('falls back on overload and invalid output, then sticks to the route that answered', async () => {
    const { generate, gemini, state } = setup();
    gemini
      .script('primary', { kind: 'overloaded', status: 503 })
      .script('second', { text: 'Sure! Here you go.' });

    const result = await generate();

    expect(result.meta.attempts.map((attempt) => `${attempt.model}:${attempt.outcome}`)).toEqual([
      'primary:overloaded',
      'second:invalid_output',
      'third:success',
    ]);
    expect(result.meta.fallbackUsed).toBe(true);
    expect(routeId(state.sticky().route)).toBe('openai:third');
    expect(state.sticky().reason).toBe('overloaded');
  });

  it('rejects JSON that breaks the schema as invalid_output', async () => {
    const { generate, gemini } = setup();
    gemini.script('primary', { text: '{"text": 42}' });
    const result = await generate();
    expect(result.meta.attempts[0].outcome).toBe('invalid_output');
  });

  it('retries a server error once on the same route, after a full-jitter backoff on the injected clock', async () => {
    const { generate, gemini, clock } = setup();
    gemini.script('primary', { kind: 'server_error' }, { kind: 'server_error' });
    const result = await generate();
    expect(result.meta.attempts.map((attempt) => `${attempt.model}:${attempt.outcome}`)).toEqual([
      'primary:server_error',
      'primary:server_error',
      'second:success',
    ]);
    expect(clock.sleeps).toEqual([50 + Math.floor(0.5 * 450)]); // random() = 0.5 between 50 and 500 ms
  });

  it('waits out a short Retry-After on the same route without sitting through it', async () => {
    const { generate, gemini, clock } = setup();
    gemini.script('primary', { kind: 'rate_limited', status: 429, retryAfterMs: 4_000 });
    const result = await generate();
    expect(result.meta.attempts.map((attempt) => `${attempt.model}:${attempt.outcome}`)).toEqual([
      'primary:rate_limited',
      'primary:success',
    ]);
    expect(clock.sleeps).toEqual([4_000]);
    expect(result.meta.durationMs).toBeGreaterThanOrEqual(4_000); // measured on the injected clock
  });

  it('moves on when the Retry-After would not fit the request deadline', async () => {
    const { generate, gemini, clock } = setup({ timeouts: { requestMs: 3_600 } });
    gemini.script('primary', { kind: 'rate_limited', status: 429, retryAfterMs: 3_500 });
    const result = await generate();
    expect(result.meta.attempts.map((attempt) => attempt.model)).toEqual(['primary', 'second']);
    expect(clock.sleeps).toEqual([]);
  });

  it('classifies a hang as a timeout from its own attempt timer, and clips the attempt to the deadline', async () => {
    const { generate, gemini } = setup({ timeouts: { attemptMs: 100, requestMs: 5_000 } });
    gemini.script('primary', 'hang');
    const result = await generate();
    expect(result.meta.attempts.map((attempt) => attempt.outcome)).toEqual(['timeout', 'success']);
    expect(gemini.calls[0].timeoutMs).toBeLessThanOrEqual(100);
  });

  it('disables a route after a bad key', async () => {
    const { generate, gemini, state } = setup();
    gemini.script('primary', { kind: 'auth' });
    await generate();
    state.reset();
    const second = await generate();
    expect(second.meta.attempts.map((attempt) => attempt.model)).toEqual(['second']);
  });

  it('ends in AllRoutesFailedError carrying every attempt and the soonest Retry-After', async () => {
    const { generate, gemini, openai } = setup();
    gemini
      .script('primary', { kind: 'rate_limited', retryAfterMs: 30_000 })
      .script('second', { kind: 'overloaded' });
    openai.script('third', { kind: 'rate_limited', retryAfterMs: 12_500 });

    const error = await generate().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AllRoutesFailedError);
    const failed = error as AllRoutesFailedError;
    expect(failed.attempts.map((attempt) => attempt.outcome)).toEqual([
      'rate_limited',
      'overloaded',
      'rate_limited',
    ]);
    expect(failed.retryAfterSeconds).toBe(13);
    expect(failed.reason).toBe('exhausted');
  });

  it('stops at once when the caller goes away', async () => {
    const { generate, gemini, seen } = setup({ timeouts: { attemptMs: 5_000 } });
    gemini.script('primary', 'hang');
    const controller = new AbortController();
    const pending = generate(controller.signal);
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(RequestAbortedError);
    expect(seen()).toEqual(['gemini:primary']);
  });

  describe('streams', () => {
    const collect = async (events: AsyncIterable<StreamEvent>) => {
      let text = '';
      for await (const event of events) if (event.type === 'text') text += event.text;
      return text;
    };
    const request = {
      messages: [{ role: 'user' as const, content: 'hi' }],
      responseFormat: { type: 'text' as const },
    };

    it('falls back before the first content, then commits to the route that produced it', async () => {
      const { service, gemini } = setup();
      gemini.script('primary', { kind: 'overloaded' });
      const session = await service.stream(request);
      expect(session.meta.model).toBe('second');
      expect(session.meta.attempts.map((attempt) => attempt.outcome)).toEqual([
        'overloaded',
        'success',
      ]);
      expect(await collect(session.events)).toBe('Hello there');
    });

    it('with LLM_STREAM_CONTINUATION=off, a failure after the first content is thrown to the consumer, never retried elsewhere', async () => {
      const { service, gemini, seen } = setup({ policy: { streamContinuation: 'off' } });
      gemini.script('primary', 'cut');
      const session = await service.stream(request);
      await expect(collect(session.events)).rejects.toMatchObject({ kind: 'network' });
      expect(seen()).toEqual(['gemini:primary']);
    });

    it('by default, a failure after the first content goes on on the next route from where it stopped', async () => {
      const { service, gemini, seen } = setup();
      gemini.script('primary', 'cut');
      const session = await service.stream(request);
      const events: StreamEvent[] = [];
      for await (const event of session.events) events.push(event);
      const text = events.map((event) => (event.type === 'text' ? event.text : '')).join('');
      expect(text).toBe('Hello there');
      expect(seen()).toEqual(['gemini:primary', 'gemini:second']);
      // Gemini takes a prefill: the partial answer is the last (assistant) message.
      const continued = gemini.calls[1].request;
      expect(continued.messages.at(-1)).toEqual({ role: 'assistant', content: 'Hel' });
      expect(continued.responseFormat).toEqual({ type: 'text' });
      expect(events.at(-1)).toMatchObject({
        type: 'end',
        continuations: [
          { from: 'gemini:primary', to: 'gemini:second', reason: 'network', method: 'prefill' },
        ],
      });
    });
  });

  describe('streamObject', () => {
    it('streams the text, validates the object at the end', async () => {
      const { service, gemini } = setup();
      gemini.script('primary', { text: '{"text":"hello"}' });
      const seen: string[] = [];
      const result = await service.streamObject(
        { schema: Greeting, schemaName: 'greeting', system: 's', prompt: 'p' },
        { onText: (text) => seen.push(text) },
      );
      expect(result.value).toBeInstanceOf(Greeting);
      expect(seen).toEqual(['{"t', '{"text":"hello"}']);
    });

    it('a stream cut after its first content restarts on the next route (the cut one last), and sticks there', async () => {
      const { service, gemini, state, seen } = setup();
      gemini.script('primary', 'cut');
      const restarts: string[] = [];
      const result = await service.streamObject(
        { schema: Greeting, schemaName: 'greeting', system: 's', prompt: 'p' },
        { onRestart: (kind) => restarts.push(kind) },
      );
      expect(restarts).toEqual(['network']);
      expect(result.meta.attempts.map((attempt) => `${attempt.model}:${attempt.outcome}`)).toEqual([
        'primary:network',
        'second:success',
      ]);
      expect(seen()).toEqual(['gemini:primary', 'gemini:second']);
      expect(state.sticky()).toMatchObject({ index: 1, reason: 'network' });
    });
  });

  it('sheds a provider at its concurrency limit to the next provider, without opening its circuit', async () => {
    const { generate, gemini, state } = setup({
      limits: { maxConcurrency: 1, queueSize: 0 },
      timeouts: { attemptMs: 300 },
    });
    gemini.script('primary', 'hang');
    const holding = generate();
    const shed = await generate();
    expect(shed.meta.attempts.map((attempt) => `${attempt.model}:${attempt.outcome}`)).toEqual([
      'primary:overloaded',
      'second:overloaded', // the same provider, so the same limit
      'third:success',
    ]);
    await holding;
    expect(state.snapshot()[0].consecutiveAvailabilityFailures).toBe(1); // the hang, not the shed
  });
});
