import { once } from 'node:events';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { BufferedResponse, isBufferedType } from './node-http-fetch';
import { providerFetch } from './provider-fetch';

type Answer = { status: number; headers?: Record<string, string>; body: unknown };

/**
 * The contract the three SDKs rely on when a plain JSON answer reaches them as a `BufferedResponse`: each SDK,
 * built with the providers' fetch, reads an answer and an error (status, headers, body) over loopback HTTP.
 */
describe('BufferedResponse: what the SDKs read from a plain JSON answer', () => {
  let server: http.Server;
  let base: string;
  let answer: Answer;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(answer.status, {
          'content-type': 'application/json',
          ...answer.headers,
        });
        response.end(JSON.stringify(answer.body));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  const fetch = providerFetch(() => undefined);

  it('openai: an answer with its request id, and a 429 with its headers', async () => {
    const client = new OpenAI({ apiKey: 'k', baseURL: `${base}/v1`, maxRetries: 0, fetch });
    answer = {
      status: 200,
      headers: { 'x-request-id': 'req_1' },
      body: {
        id: 'c1',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4o-mini',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      },
    };
    const { data, request_id } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })
      .withResponse();
    expect([data.choices[0].message.content, request_id]).toEqual(['hi', 'req_1']);

    answer = {
      status: 429,
      headers: { 'retry-after': '7', 'x-ratelimit-remaining-requests': '0' },
      body: { error: { message: 'slow down', type: 'rate_limit', code: 'rate_limit_exceeded' } },
    };
    const error = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const limited = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect([limited.status, limited.code, limited.headers?.get('retry-after')]).toEqual([
      429,
      'rate_limit_exceeded',
      '7',
    ]);
    expect(limited.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('anthropic: an answer, and an overloaded error with its status and type', async () => {
    const client = new Anthropic({ apiKey: 'k', baseURL: base, maxRetries: 0, fetch });
    answer = {
      status: 200,
      headers: { 'request-id': 'req_2' },
      body: {
        id: 'm1',
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5',
        content: [{ type: 'text', text: 'hello' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 1 },
      },
    };
    const message = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect([
      message.content[0].type === 'text' && message.content[0].text,
      message._request_id,
    ]).toEqual(['hello', 'req_2']);

    answer = {
      status: 529,
      body: { type: 'error', error: { type: 'overloaded_error', message: 'busy' } },
    };
    const error = await client.messages
      .create({
        model: 'claude-haiku-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const failed = error as InstanceType<typeof Anthropic.APIError>;
    expect([failed.status, (failed.error as { error?: { type?: string } }).error?.type]).toEqual([
      529,
      'overloaded_error',
    ]);
  });

  it('gemini: an answer, and a 503 as ApiError with its status', async () => {
    const client = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: base, fetch } });
    answer = {
      status: 200,
      body: {
        candidates: [
          { content: { role: 'model', parts: [{ text: 'hey' }] }, finishReason: 'STOP' },
        ],
        usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
      },
    };
    const response = await client.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'x',
    });
    expect(response.text).toBe('hey');

    answer = {
      status: 503,
      body: { error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } },
    };
    const error = await client.models
      .generateContent({ model: 'gemini-2.5-flash', contents: 'x' })
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
  });

  it('keeps fetch’s body rules: read once, clone before reading, JSON types only', async () => {
    const response = new BufferedResponse(
      Buffer.from('{"a":1}'),
      200,
      'OK',
      new Headers(),
      'http://x/',
    );
    const copy = response.clone();
    expect(await response.json()).toEqual({ a: 1 });
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
    expect(() => response.clone()).toThrow(TypeError);
    expect(new TextDecoder().decode(await copy.arrayBuffer())).toBe('{"a":1}');
    expect([response.ok, response.body]).toEqual([true, null]);
    expect(
      [
        'application/json; charset=utf-8',
        'application/problem+json',
        'text/event-stream',
        null,
      ].map(isBufferedType),
    ).toEqual([true, true, false, false]);
  });
});
