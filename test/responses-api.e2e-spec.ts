import OpenAI, { BadRequestError } from 'openai';
import {
  ANTHROPIC,
  GEMINI_FALLBACK,
  OPENAI,
  openAiClientFor,
  PRIMARY,
  startTestApp,
  TestApp,
} from './support/test-app';

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
  strict: true,
};
const citySchema = {
  type: 'object',
  properties: { city: { type: 'string' }, country: { type: 'string' } },
  required: ['city', 'country'],
  additionalProperties: false,
};

describe('POST /v1/responses (the Responses API subset), through the official SDK', () => {
  let t: TestApp;
  let client: OpenAI;
  beforeAll(async () => {
    t = await startTestApp();
    client = await openAiClientFor(t);
  });
  afterAll(() => t.close());
  beforeEach(() => t.simulator.reset());

  it.each([OPENAI, ANTHROPIC, GEMINI_FALLBACK])(
    '%s: a string input with instructions answers a response object with output_text and usage',
    async (target) => {
      const response = await client.responses.create({
        model: target,
        instructions: 'Be brief.',
        input: 'Say hello',
      });
      expect(response.object).toBe('response');
      expect(response.status).toBe('completed');
      expect(response.model).toBe(target);
      expect(response.output_text).toBe(`Simulated answer from ${target.replace(':', '/')}.`);
      expect(response.output[0]).toMatchObject({ type: 'message', role: 'assistant' });
      expect(response.usage?.output_tokens).toBeGreaterThan(0);
    },
  );

  it('falls back like chat completions: the primary overloaded, the next route answers', async () => {
    t.simulator.script(PRIMARY, 'overloaded');
    const { data, response } = await client.responses
      .create({ model: 'default', input: [{ role: 'user', content: 'Say hello' }] })
      .withResponse();
    expect(data.output_text).toBe('Simulated answer from gemini/gemini-2.5-flash.');
    expect(response.headers.get('x-llm-attempts')).toBe(
      `${PRIMARY}=overloaded(503),${GEMINI_FALLBACK}=success`,
    );
  });

  it.each([OPENAI, ANTHROPIC, GEMINI_FALLBACK])(
    '%s: text.format json_schema returns JSON that matches',
    async (target) => {
      const response = await client.responses.create({
        model: target,
        input: 'Where is the Eiffel tower?',
        text: { format: { type: 'json_schema', name: 'place', schema: citySchema, strict: true } },
      });
      const value = JSON.parse(response.output_text) as Record<string, unknown>;
      expect(Object.keys(value).sort()).toEqual(['city', 'country']);
    },
  );

  it.each([OPENAI, ANTHROPIC, GEMINI_FALLBACK])(
    '%s: function tools: a function_call item, then its function_call_output answered',
    async (target) => {
      const first = await client.responses.create({
        model: target,
        input: 'Weather in Oslo?',
        tools: [weatherTool],
        tool_choice: 'required',
      });
      const call = first.output.find((item) => item.type === 'function_call');
      expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
      if (call?.type !== 'function_call') return;
      expect(JSON.parse(call.arguments)).toEqual({ city: expect.any(String) });

      const second = await client.responses.create({
        model: target,
        tools: [weatherTool],
        input: [
          { role: 'user', content: 'Weather in Oslo?' },
          {
            type: 'function_call',
            call_id: call.call_id,
            name: call.name,
            arguments: call.arguments,
          },
          { type: 'function_call_output', call_id: call.call_id, output: 'rain, 4 C' },
        ],
      });
      // Gemini takes a function's result as an object: plain text goes as {result: text}.
      expect(second.output_text).toBe(
        `Simulated answer from ${target.replace(':', '/')}, given the tool result ${target === GEMINI_FALLBACK ? '{"result":"rain, 4 C"}' : 'rain, 4 C'}`,
      );
    },
  );

  it('streams response.created, output_text deltas and response.completed', async () => {
    const stream = await client.responses.create({
      model: OPENAI,
      input: 'Say hello',
      stream: true,
    });
    const types: string[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_text.delta');
    expect(types.at(-1)).toBe('response.completed');
    expect(text).toBe('Simulated answer from openai/gpt-4o-mini.');
    expect(completed?.output_text ?? completed?.output).toBeDefined();
    expect(completed?.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('the SDK’s responses.stream helper assembles a streamed function call', async () => {
    const stream = client.responses.stream({
      model: ANTHROPIC,
      input: 'Weather in Oslo?',
      tools: [weatherTool],
      tool_choice: { type: 'function', name: 'get_weather' },
    });
    const final = await stream.finalResponse();
    const call = final.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
  });

  it.each([
    ['previous_response_id', { previous_response_id: 'resp_1' }, /stores no responses/],
    ['a built-in tool', { tools: [{ type: 'web_search' }] }, /only function tools/],
    [
      'an image input',
      { input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'x' }] }] },
      /only text parts/,
    ],
  ])('400 with a clear message for %s', async (_name, overrides, message) => {
    const error = await client.responses
      .create({ model: OPENAI, input: 'hi', ...overrides } as never)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).message).toMatch(message);
    expect(t.simulator.attempts).toHaveLength(0);
  });
});
