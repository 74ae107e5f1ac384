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

describe('What real OpenAI clients send', () => {
  let t: TestApp;
  let client: OpenAI;
  beforeAll(async () => {
    t = await startTestApp();
    client = await openAiClientFor(t);
  });
  afterAll(() => t.close());
  beforeEach(() => t.simulator.reset());

  it('the SDK’s own multi-turn loop: the echoed assistant message (refusal: null, annotations, parsed…) is accepted', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello' }];
    const first = await client.chat.completions.create({ model: OPENAI, messages });
    const echoed = {
      ...first.choices[0].message,
      annotations: [],
      audio: null,
      function_call: null,
      tool_calls: [],
      parsed: null,
    };
    messages.push(echoed, {
      role: 'user',
      content: 'And again',
    });
    const second = await client.chat.completions.create({ model: OPENAI, messages });
    expect(second.choices[0].message.content).toBe('Simulated answer from openai/gpt-4o-mini.');
  });

  it('a tool call echoed with parsed_arguments (parse() with strict tools, runTools) is accepted', async () => {
    const completion = await client.chat.completions.create({
      model: OPENAI,
      messages: [
        { role: 'user', content: 'Look it up' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'lookup', arguments: '{"q":"x"}', parsed_arguments: { q: 'x' } },
            },
          ],
        } as unknown as OpenAI.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: 'call_1', content: 'found' },
      ],
    });
    expect(completion.choices[0].message.content).toContain('Simulated answer');
  });

  it('model names as other gateways take them: bare and provider/model through the official client', async () => {
    const bare = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(bare.model).toBe(OPENAI);
    const slashed = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(slashed.model).toBe(OPENAI);
    const unknown = await client.chat.completions
      .create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error);
    expect(unknown).toMatchObject({ status: 400, code: 'invalid_model' });
  });

  it('known OpenAI fields that change nothing are accepted and named in x-llm-warning (prompt_cache_key and user now keep a caller on one provider key); logprobs: true is a 400', async () => {
    const { response } = await client.chat.completions
      .create({
        model: OPENAI,
        messages: [{ role: 'user', content: 'hi' }],
        store: false,
        metadata: { team: 'learning' },
        user: 'u-1',
        parallel_tool_calls: false,
        service_tier: 'auto',
        prompt_cache_key: 'k',
        safety_identifier: 's',
        logprobs: false,
      })
      .withResponse();
    expect(response.headers.get('x-llm-warning')).toBe(
      'store, metadata, parallel_tool_calls, service_tier, safety_identifier, logprobs accepted and ignored',
    );
    const error = await client.chat.completions
      .create({ model: OPENAI, messages: [{ role: 'user', content: 'hi' }], logprobs: true })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('reasoning_effort maps to the provider’s thinking control', async () => {
    await client.chat.completions.create({
      model: PRIMARY,
      messages: [{ role: 'user', content: 'hi' }],
      reasoning_effort: 'minimal',
    });
    await client.chat.completions.create({
      model: PRIMARY,
      messages: [{ role: 'user', content: 'hi' }],
      reasoning_effort: 'high',
    });
    expect(t.simulator.attemptsFor(PRIMARY).map((attempt) => attempt.thoughts > 0)).toEqual([
      false,
      true,
    ]);
  });

  it('models.retrieve: GET /v1/models/{id}, and a 404 in OpenAI’s format for a model not served here', async () => {
    for (const id of ['default', PRIMARY, GEMINI_FALLBACK, OPENAI, ANTHROPIC])
      expect((await client.models.retrieve(id)).id).toBe(id);
    const error = await client.models.retrieve('openai:gpt-9').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as APIError).code).toBe('model_not_found');
  });
});

describe('Model aliases', () => {
  it('an alias names a whole chain and is listed in /v1/models; a bare name two routes serve is a 400 listing them', async () => {
    const t = await startTestApp({
      LLM_FALLBACKS: `${GEMINI_FALLBACK},${OPENAI},anthropic:gpt-4o-mini`,
      LLM_MODEL_ALIASES: `fast=${ANTHROPIC}>${OPENAI}`,
    });
    try {
      const client = await openAiClientFor(t);
      const listed = await client.models.list();
      expect(listed.data.map((model) => model.id)).toContain('fast');
      t.simulator.always(ANTHROPIC, 'overloaded');
      const fast = await client.chat.completions.create({
        model: 'fast',
        messages: [{ role: 'user', content: 'hi' }],
      });
      // The alias's chain, in order: its first route failed over to its second.
      expect(fast.model).toBe(OPENAI);
      expect(t.simulator.attemptsFor(ANTHROPIC)).toHaveLength(1);
      const ambiguous = await client.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
        .catch((error: unknown) => error);
      expect(ambiguous).toMatchObject({ status: 400, code: 'ambiguous_model' });
      expect((ambiguous as APIError).message).toContain(
        'openai:gpt-4o-mini, anthropic:gpt-4o-mini',
      );
    } finally {
      await t.close();
    }
  });
});

describe('Outage manners', () => {
  it('when every route’s circuit is open the 503 says x-should-retry: false (the OpenAI SDKs honour it)', async () => {
    const t = await startTestApp({
      LLM_CIRCUIT_FAILURE_THRESHOLD: '1',
      LLM_HEALTHCHECK_INTERVAL_MS: '3600000',
    });
    try {
      for (const target of [PRIMARY, GEMINI_FALLBACK, OPENAI, ANTHROPIC])
        t.simulator.always(target, 'overloaded');
      await t.app.listen(0, '127.0.0.1');
      const url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}/v1/chat/completions`;
      const ask = () =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }),
        });
      const first = await ask(); // opens every circuit (threshold 1)
      expect(first.status).toBe(503);
      const second = await ask();
      expect(second.status).toBe(503);
      expect(second.headers.get('x-should-retry')).toBe('false');
      expect(second.headers.get('retry-after')).toBeTruthy();
      // One SDK call, then no retry of its own even with retries on.
      const sdk = new OpenAI({
        apiKey: 'x',
        baseURL: url.replace('/chat/completions', ''),
        maxRetries: 2,
        fetch,
      });
      t.simulator.reset();
      for (const target of [PRIMARY, GEMINI_FALLBACK, OPENAI, ANTHROPIC])
        t.simulator.always(target, 'overloaded');
      await sdk.chat.completions
        .create({ model: 'default', messages: [{ role: 'user', content: 'hi' }] })
        .catch(() => undefined);
      expect(t.simulator.attempts).toHaveLength(4); // one request's walk over the four routes, not three requests'
    } finally {
      await t.close();
    }
  });
});
