import { AddressInfo } from 'node:net';
import { createOpenAI } from '@ai-sdk/openai';
import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import {
  Agent,
  OpenAIResponsesModel,
  run,
  setTracingDisabled,
  tool as agentTool,
} from '@openai/agents';
import { APICallError, generateText, jsonSchema, Output, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { z } from 'zod';
import { realmSafeFetch } from '../src/llm/providers/realm-safe-fetch';
import {
  ANTHROPIC,
  GEMINI_FALLBACK,
  OPENAI,
  openAiClientFor,
  PRIMARY,
  startTestApp,
  TestApp,
} from './support/test-app';

/**
 * The client libraries people point at an OpenAI-compatible base URL, driven as their READMEs show, against the
 * gateway over loopback: the Vercel AI SDK (its default provider speaks the Responses API; `.chat()` speaks Chat
 * Completions) and LangChain's ChatOpenAI. Retries are off in every client, as the README advises.
 */
describe('Real client libraries against the gateway', () => {
  let t: TestApp;
  let baseURL: string;
  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    baseURL = `http://127.0.0.1:${port}/v1`;
  });
  afterAll(() => t.close());
  beforeEach(() => {
    t.simulator.reset();
    t.resetRouting(); // each test starts on the primary
  });

  const aiSdk = () => createOpenAI({ baseURL, apiKey: 'unused', fetch: realmSafeFetch() });
  const weather = tool({
    description: 'The weather in a city',
    inputSchema: jsonSchema<{ city: string }>({
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    }),
    execute: async () => 'rain, 4 C',
  });
  const place = jsonSchema<{ city: string; country: string }>({
    type: 'object',
    properties: { city: { type: 'string' }, country: { type: 'string' } },
    required: ['city', 'country'],
    additionalProperties: false,
  });

  describe('Vercel AI SDK, default provider (Responses API)', () => {
    it('generateText, falling back when the primary is overloaded', async () => {
      t.simulator.script(PRIMARY, 'overloaded');
      const result = await generateText({
        model: aiSdk()('default'),
        prompt: 'Say hello',
        maxRetries: 0,
      });
      expect(result.text).toBe('Simulated answer from gemini/gemini-2.5-flash.');
      expect(result.usage.outputTokens).toBeGreaterThan(0);
    });

    it('streamText', async () => {
      const result = streamText({ model: aiSdk()(OPENAI), prompt: 'Say hello', maxRetries: 0 });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      expect(text).toBe('Simulated answer from openai/gpt-4o-mini.');
    });

    it.each([ANTHROPIC, GEMINI_FALLBACK])(
      'a tool loop on %s: the call, its execution, the final answer',
      async (target) => {
        const result = await generateText({
          model: aiSdk()(target),
          prompt: 'Weather in Oslo?',
          tools: { get_weather: weather },
          stopWhen: stepCountIs(3),
          maxRetries: 0,
        });
        expect(result.steps[0].toolCalls[0]?.toolName).toBe('get_weather');
        expect(result.text).toContain('given the tool result');
        expect(result.text).toContain('rain, 4 C');
      },
    );

    it('structured output (Output.object)', async () => {
      const result = await generateText({
        model: aiSdk()(ANTHROPIC),
        prompt: 'Where is the Eiffel tower?',
        output: Output.object({ schema: place }),
        maxRetries: 0,
      });
      expect(Object.keys(result.output).sort()).toEqual(['city', 'country']);
    });

    it('every route failing is an APICallError 503 the SDK does not retry', async () => {
      for (const route of [PRIMARY, GEMINI_FALLBACK, OPENAI, ANTHROPIC])
        t.simulator.always(route, 'overloaded');
      const error = await generateText({
        model: aiSdk()('default'),
        prompt: 'Say hello',
        maxRetries: 0,
      }).catch((caught: unknown) => caught);
      expect(APICallError.isInstance(error)).toBe(true);
      expect((error as APICallError).statusCode).toBe(503);
    });
  });

  describe('Vercel AI SDK, .chat() (Chat Completions)', () => {
    it('generateText and streamText with usage', async () => {
      const model = aiSdk().chat(GEMINI_FALLBACK);
      const result = await generateText({ model, prompt: 'Say hello', maxRetries: 0 });
      expect(result.text).toBe('Simulated answer from gemini/gemini-2.5-flash.');
      const streamed = streamText({ model, prompt: 'Say hello', maxRetries: 0 });
      let text = '';
      for await (const delta of streamed.textStream) text += delta;
      expect(text).toBe(result.text);
      expect((await streamed.usage).outputTokens).toBeGreaterThan(0);
    });

    it('a tool loop across a failover: the call made by Gemini, its result served by OpenAI', async () => {
      const result = await generateText({
        model: aiSdk().chat('default'),
        prompt: 'Weather in Oslo?',
        tools: { get_weather: weather },
        stopWhen: stepCountIs(3),
        maxRetries: 0,
        prepareStep: ({ stepNumber }) => {
          // After the call was made, both Gemini routes go down: the chain carries on to OpenAI.
          if (stepNumber === 1)
            for (const route of [PRIMARY, GEMINI_FALLBACK]) t.simulator.always(route, 'overloaded');
          return undefined;
        },
      });
      expect(result.steps[0].toolCalls[0]?.toolName).toBe('get_weather');
      expect(result.steps[0].response.modelId).toBe(PRIMARY);
      expect(result.steps[1].response.modelId).toBe(OPENAI);
      expect(result.text).toBe(
        'Simulated answer from openai/gpt-4o-mini, given the tool result rain, 4 C',
      );
    });
  });

  describe('LangChain ChatOpenAI', () => {
    const chat = (model: string, extra: Record<string, unknown> = {}) =>
      new ChatOpenAI({
        model,
        apiKey: 'unused',
        maxRetries: 0,
        configuration: { baseURL, fetch: realmSafeFetch() },
        ...extra,
      });

    it('invoke and stream', async () => {
      const answer = await chat(OPENAI).invoke('Say hello');
      expect(answer.content).toBe('Simulated answer from openai/gpt-4o-mini.');
      let text = '';
      for await (const chunk of await chat(ANTHROPIC).stream('Say hello'))
        text += typeof chunk.content === 'string' ? chunk.content : '';
      expect(text).toBe('Simulated answer from anthropic/claude-haiku-4-5-20251001.');
    });

    it.each(['functionCalling', 'jsonSchema'] as const)(
      'withStructuredOutput (method %s)',
      async (method) => {
        const structured = chat(GEMINI_FALLBACK).withStructuredOutput(
          {
            type: 'object',
            title: 'place',
            properties: { city: { type: 'string' }, country: { type: 'string' } },
            required: ['city', 'country'],
            additionalProperties: false,
          },
          { method, name: 'place' },
        );
        const value = (await structured.invoke('Where is the Eiffel tower?')) as Record<
          string,
          unknown
        >;
        expect(Object.keys(value).sort()).toEqual(['city', 'country']);
      },
    );

    it('bindTools, then the tool message answered on another provider', async () => {
      const tools = [
        {
          type: 'function' as const,
          function: {
            name: 'get_weather',
            description: 'The weather in a city',
            parameters: {
              type: 'object',
              properties: { city: { type: 'string' } },
              required: ['city'],
            },
          },
        },
      ];
      const first = await chat(OPENAI)
        .bindTools(tools, { tool_choice: 'required' })
        .invoke([new HumanMessage('Weather in Oslo?')]);
      const call = first.tool_calls?.[0];
      expect(call?.name).toBe('get_weather');
      const second = await chat(GEMINI_FALLBACK)
        .bindTools(tools)
        .invoke([
          new HumanMessage('Weather in Oslo?'),
          new AIMessage({ content: '', tool_calls: first.tool_calls }),
          new ToolMessage({ tool_call_id: call!.id!, content: 'rain, 4 C' }),
        ]);
      expect(second.content).toContain('rain, 4 C');
    });
  });
});

describe('OpenAI Agents SDK (Responses API) against the gateway', () => {
  let t: TestApp;
  let client: OpenAI;
  beforeAll(async () => {
    setTracingDisabled(true);
    t = await startTestApp();
    client = await openAiClientFor(t);
  });
  afterAll(() => t.close());

  it('an agent answers, and an agent with a function tool runs the tool and answers with its result', async () => {
    const plain = new Agent({
      name: 'Greeter',
      instructions: 'Be brief.',
      model: new OpenAIResponsesModel(client, OPENAI),
    });
    const hello = await run(plain, 'Say hello');
    expect(hello.finalOutput).toBe('Simulated answer from openai/gpt-4o-mini.');

    const withTool = new Agent({
      name: 'Weather',
      instructions: 'Use the tool.',
      model: new OpenAIResponsesModel(client, ANTHROPIC),
      tools: [
        agentTool({
          name: 'get_weather',
          description: 'The weather in a city',
          parameters: z.object({ city: z.string() }),
          execute: async () => 'rain, 4 C',
        }),
      ],
    });
    const answer = await run(withTool, 'Weather in Oslo?');
    expect(answer.finalOutput).toBe(
      'Simulated answer from anthropic/claude-haiku-4-5-20251001, given the tool result rain, 4 C',
    );
  });
});
