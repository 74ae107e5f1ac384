import OpenAI, { BadRequestError } from 'openai';
import type {
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import {
  ANTHROPIC,
  GEMINI_FALLBACK,
  OPENAI,
  openAiClientFor,
  PRIMARY,
  startTestApp,
  TestApp,
} from './support/test-app';

const weather: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city', 'unit'],
    },
  },
};
const clock: ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: {} } },
};
const ask: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Oslo?' }];
const RESULT = '{"temperature":4,"sky":"rain"}';

describe('Function calling through /v1, on every provider and across a fallback', () => {
  let t: TestApp;
  let client: OpenAI;
  beforeAll(async () => {
    t = await startTestApp();
    client = await openAiClientFor(t);
  });
  afterAll(() => t.close());
  beforeEach(() => t.simulator.reset());

  it.each([OPENAI, ANTHROPIC, GEMINI_FALLBACK])(
    '%s: a required tool call comes back in OpenAI’s shape, and its result is read on the next turn',
    async (target) => {
      const first = await client.chat.completions.create({
        model: target,
        messages: ask,
        tools: [weather, clock],
        tool_choice: 'required',
      });
      const choice = first.choices[0];
      expect(choice.finish_reason).toBe('tool_calls');
      const [call] = choice.message.tool_calls ?? [];
      expect(call.type).toBe('function');
      if (call.type !== 'function') return;
      expect(call.function.name).toBe('get_weather');
      expect(call.id).toEqual(expect.any(String));
      expect(Object.keys(JSON.parse(call.function.arguments) as object).sort()).toEqual([
        'city',
        'unit',
      ]);

      // The OpenAI SDK's own loop: push the assistant message back, then the tool's result.
      const second = await client.chat.completions.create({
        model: target,
        tools: [weather, clock],
        messages: [
          ...ask,
          choice.message,
          { role: 'tool', tool_call_id: call.id, content: RESULT },
        ],
      });
      expect(second.choices[0].finish_reason).toBe('stop');
      expect(second.choices[0].message.content).toBe(
        `Simulated answer from ${target.replace(':', '/')}, given the tool result ${RESULT}`,
      );
    },
  );

  it.each([OPENAI, ANTHROPIC, GEMINI_FALLBACK])(
    '%s: a streamed tool call arrives as deltas the SDK joins into one call',
    async (target) => {
      const stream = await client.chat.completions.create({
        model: target,
        messages: ask,
        tools: [weather],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        stream: true,
      });
      const calls = new Map<number, { id?: string; name: string; arguments: string }>();
      let finish: string | null = null;
      for await (const chunk of stream) {
        for (const piece of chunk.choices[0]?.delta?.tool_calls ?? []) {
          const call = calls.get(piece.index) ?? { name: '', arguments: '' };
          call.id = piece.id ?? call.id;
          call.name += piece.function?.name ?? '';
          call.arguments += piece.function?.arguments ?? '';
          calls.set(piece.index, call);
        }
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(finish).toBe('tool_calls');
      expect([...calls.values()]).toHaveLength(1);
      const [call] = [...calls.values()];
      expect(call.name).toBe('get_weather');
      expect(call.id).toEqual(expect.any(String));
      expect(JSON.parse(call.arguments)).toEqual(
        expect.objectContaining({ city: expect.any(String) }),
      );
    },
  );

  it.each([
    [OPENAI, ANTHROPIC],
    [ANTHROPIC, GEMINI_FALLBACK],
    [GEMINI_FALLBACK, OPENAI],
  ])(
    'a call made by %s is answered by a tool message that %s serves after a failover',
    async (first, second) => {
      const made = await client.chat.completions.create({
        model: first,
        messages: ask,
        tools: [weather],
        tool_choice: 'required',
      });
      const message = made.choices[0].message;
      const [call] = message.tool_calls ?? [];
      // The next turn starts on the first provider, which is down now: the fallback serves the tool result.
      t.simulator.script(first, 'overloaded');
      const answer = await client.chat.completions.create({
        model: first,
        fallbacks: [second],
        tools: [weather],
        messages: [...ask, message, { role: 'tool', tool_call_id: call.id, content: RESULT }],
      } as OpenAI.ChatCompletionCreateParamsNonStreaming);
      expect(answer.model).toBe(second);
      expect(answer.choices[0].message.content).toBe(
        `Simulated answer from ${second.replace(':', '/')}, given the tool result ${RESULT}`,
      );
      // The fallback received the call and its result in its own wire format.
      const served = t.simulator.attemptsFor(second).at(-1);
      expect(served?.toolResultLength).toBeGreaterThan(0);
    },
  );

  it('tool_choice none answers in text; a named choice calls that tool; an unknown name is a 400', async () => {
    const none = await client.chat.completions.create({
      model: OPENAI,
      messages: ask,
      tools: [weather, clock],
      tool_choice: 'none',
    });
    expect(none.choices[0].message.tool_calls).toBeUndefined();
    expect(none.choices[0].message.content).toBe('Simulated answer from openai/gpt-4o-mini.');

    for (const target of [OPENAI, ANTHROPIC, GEMINI_FALLBACK]) {
      const named = await client.chat.completions.create({
        model: target,
        messages: ask,
        tools: [weather, clock],
        tool_choice: { type: 'function', function: { name: 'get_time' } },
      });
      const [call] = named.choices[0].message.tool_calls ?? [];
      expect(call.type === 'function' && call.function.name).toBe('get_time');
    }

    const error = await client.chat.completions
      .create({
        model: OPENAI,
        messages: ask,
        tools: [weather],
        tool_choice: { type: 'function', function: { name: 'nope' } },
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).message).toMatch(/tool_choice names nope/);
  });

  it('the default chain walks on with tools: the primary overloaded, the fallback makes the call', async () => {
    t.simulator.script(PRIMARY, 'overloaded');
    const { data, response } = await client.chat.completions
      .create({ model: 'default', messages: ask, tools: [weather], tool_choice: 'required' })
      .withResponse();
    expect(response.headers.get('x-llm-route')).toBe(GEMINI_FALLBACK);
    expect(data.choices[0].finish_reason).toBe('tool_calls');
  });

  it('the OpenAI SDK’s runTools agent loop runs to a final answer', async () => {
    const runner = client.chat.completions.runTools({
      model: ANTHROPIC,
      messages: ask,
      tool_choice: 'auto',
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'The weather in a city',
            parameters: weather.type === 'function' ? weather.function.parameters! : {},
            function: () => RESULT,
            parse: JSON.parse,
          },
        },
      ],
    });
    const final = await runner.finalContent();
    expect(final).toBe(
      `Simulated answer from anthropic/claude-haiku-4-5-20251001, given the tool result ${RESULT}`,
    );
  });
});
