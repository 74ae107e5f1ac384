import OpenAI, { APIError, BadRequestError } from 'openai';
import {
  ANTHROPIC,
  GEMINI_FALLBACK,
  OPENAI,
  openAiClientFor,
  PRIMARY,
  startTestApp,
  TestApp,
} from './support/test-app';

const TARGETS = [OPENAI, ANTHROPIC, GEMINI_FALLBACK] as const;
const citySchema = {
  type: 'object',
  properties: { city: { type: 'string' }, population: { type: 'integer' } },
  required: ['city', 'population'],
  additionalProperties: false,
};

describe('OpenAI-compatible /v1 over the fallback layer (official openai SDK as the client)', () => {
  let t: TestApp;
  let client: OpenAI;

  beforeAll(async () => {
    t = await startTestApp({
      LLM_STREAM_IDLE_TIMEOUT_MS: '500',
      LLM_CIRCUIT_FAILURE_THRESHOLD: '100',
    });
    client = await openAiClientFor(t);
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => {
    t.simulator.reset();
    t.resetRouting();
  });

  const hello = [{ role: 'user' as const, content: 'Say hello' }];

  it.each(TARGETS)('non-streaming through %s', async (target) => {
    const { data, response } = await client.chat.completions
      .create({ model: target, messages: [{ role: 'system', content: 'Be brief.' }, ...hello] })
      .withResponse();

    expect(data.model).toBe(target);
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0].message.content).toBe(
      `Simulated answer from ${target.replace(':', '/')}.`,
    );
    expect(data.choices[0].finish_reason).toBe('stop');
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-llm-route')).toBe(target);
    expect(response.headers.get('x-llm-attempts')).toBe(`${target}=success`);
    expect(t.simulator.routesSeen()).toEqual([target]);
  });

  it.each(TARGETS)('streaming through %s, with usage', async (target) => {
    const stream = await client.chat.completions.create({
      model: target,
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      expect(chunk.model).toBe(target);
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(`Simulated answer from ${target.replace(':', '/')}.`);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('model "default" walks the configured chain; failover happens before the first token', async () => {
    t.simulator.script(PRIMARY, 'overloaded');
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'default', messages: hello, stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';

    expect(text).toBe('Simulated answer from gemini/gemini-2.5-flash.');
    expect(response.headers.get('x-llm-route')).toBe(GEMINI_FALLBACK);
    expect(response.headers.get('x-llm-attempts')).toBe(
      `${PRIMARY}=overloaded(503),${GEMINI_FALLBACK}=success`,
    );
  });

  it('a route that hangs before its first token is abandoned at the attempt timeout for the next one', async () => {
    t.simulator.script(PRIMARY, 'hang');
    const stream = await client.chat.completions.create({
      model: 'default',
      messages: hello,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Simulated answer from gemini/gemini-2.5-flash.');
  });

  it.each(TARGETS)(
    'response_format json_schema through %s reaches the native field and returns JSON',
    async (target) => {
      const data = await client.chat.completions.create({
        model: target,
        messages: [{ role: 'user', content: 'Largest city in France?' }],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'city', schema: citySchema, strict: true },
        },
      });
      const parsed = JSON.parse(data.choices[0].message.content ?? '') as {
        city: string;
        population: number;
      };
      expect(typeof parsed.city).toBe('string');
      expect(typeof parsed.population).toBe('number');
      expect(t.simulator.attempts[0].hasSchema).toBe(true);
    },
  );

  it('json_object output that is not JSON falls back to the next route', async () => {
    t.simulator.script(PRIMARY, 'prose');
    const { data, response } = await client.chat.completions
      .create({ model: 'default', messages: hello, response_format: { type: 'json_object' } })
      .withResponse();
    expect(data.model).toBe(GEMINI_FALLBACK);
    expect(response.headers.get('x-llm-attempts')).toContain(`${PRIMARY}=invalid_output`);
  });

  it('per-request fallbacks: their own chain, with stickiness kept per distinct chain', async () => {
    t.simulator.always(GEMINI_FALLBACK, 'overloaded');
    const body = { model: GEMINI_FALLBACK, fallbacks: [ANTHROPIC], messages: hello };

    const first = await client.chat.completions.create(
      body as OpenAI.ChatCompletionCreateParamsNonStreaming,
    );
    expect(first.model).toBe(ANTHROPIC);
    const second = await client.chat.completions.create(
      body as OpenAI.ChatCompletionCreateParamsNonStreaming,
    );
    expect(second.model).toBe(ANTHROPIC);
    expect(t.simulator.routesSeen()).toEqual([GEMINI_FALLBACK, ANTHROPIC, ANTHROPIC]);

    const unaffected = await client.chat.completions.create({ model: 'default', messages: hello });
    expect(unaffected.model).toBe(PRIMARY);
  });

  it('a caller-set max_tokens gets finish_reason "length" back instead of a fallback', async () => {
    t.simulator.script(OPENAI, 'truncated');
    const data = await client.chat.completions.create({
      model: OPENAI,
      messages: hello,
      max_tokens: 5,
    });
    expect(data.choices[0].finish_reason).toBe('length');
    expect(t.simulator.routesSeen()).toEqual([OPENAI]);
  });

  it('parameters a target cannot honour are dropped with a warning header', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: ANTHROPIC, messages: hello, temperature: 0.2, seed: 7, stop: ['END'] })
      .withResponse();
    expect(data.model).toBe(ANTHROPIC);
    expect(response.headers.get('x-llm-warning')).toBe(
      `${ANTHROPIC} does not support temperature, seed; dropped`,
    );
  });

  it('every route failing answers 503 in OpenAI format with Retry-After', async () => {
    for (const route of [PRIMARY, GEMINI_FALLBACK, OPENAI, ANTHROPIC])
      t.simulator.always(route, 'overloaded');
    const error = await client.chat.completions
      .create({ model: 'default', messages: hello })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(503);
    expect(apiError.code).toBe('all_routes_failed');
    expect(apiError.headers?.get('retry-after')).toMatch(/^\d+$/);
  });

  it.each([
    ['an unknown provider', { model: 'mistral:large' }, 'model'],
    ['a malformed route', { model: 'gpt-4' }, 'model'],
    ['a malformed fallback', { model: OPENAI, fallbacks: ['nope'] }, 'fallbacks[0]'],
    [
      'a tool of another type than function',
      { model: OPENAI, tools: [{ type: 'web_search', function: { name: 'f' } }] },
      'tools.0.type',
    ],
    ['n > 1', { model: OPENAI, n: 2 }, 'n'],
    [
      'a tool message without tool_call_id',
      { model: OPENAI, messages: [{ role: 'tool', content: 'x' }] },
      'messages.0.tool_call_id',
    ],
    [
      'an image part',
      {
        model: OPENAI,
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }],
      },
      'messages.0.content',
    ],
    ['temperature out of range', { model: OPENAI, temperature: 3 }, 'temperature'],
  ])('400 in OpenAI format for %s', async (_name, overrides, param) => {
    const body = {
      messages: hello,
      ...overrides,
    } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
    const error = await client.chat.completions.create(body).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const apiError = error as BadRequestError;
    expect(apiError.type).toBe('invalid_request_error');
    expect(apiError.param).toBe(param);
    expect(apiError.message.length).toBeGreaterThan(10);
    expect(t.simulator.attempts).toHaveLength(0);
  });

  it('GET /v1/models lists the routes with a key, and default', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toEqual(['default', PRIMARY, GEMINI_FALLBACK, OPENAI, ANTHROPIC]);
  });
});

describe('Unknown paths name the endpoints there are', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('under /v1 in OpenAI’s error shape (what an OpenAI client reads)', async () => {
    const answer = await t.http().post('/v1/embeddings').send({ input: 'x' }).expect(404);
    expect(answer.body.error.code).toBe('unknown_endpoint');
    expect(answer.body.error.message).toContain('No endpoint POST /v1/embeddings');
    expect(answer.body.error.message).toContain('POST /v1/chat/completions');
    expect(answer.body.error.message).toContain('GET /v1/models/:id');
    expect(answer.body.error.message).not.toContain('/profiles');
  });

  it('elsewhere in the service’s shape, with the list; a missing record is still a plain 404', async () => {
    const answer = await t.http().get('/nothing-here').expect(404);
    expect(answer.body.statusCode).toBe(404);
    expect(answer.body.endpoints).toEqual(
      expect.arrayContaining(['GET /health/live', 'POST /profiles', 'POST /v1/chat/completions']),
    );
    const missing = await t
      .http()
      .get('/profiles/00000000-0000-4000-8000-000000000000')
      .expect(404);
    expect(missing.body.endpoints).toBeUndefined();
    expect(missing.body.message).toMatch(/not found/);
  });
});
