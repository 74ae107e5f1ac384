import OpenAI from 'openai';
import {
  mapOpenAiError,
  mapOpenAiFinishReason,
  openAiStrictSchemaOf,
  toOpenAiStrictSchema,
} from './openai.mapping';
import { promptCacheKey } from './openai.provider';

const apiError = (status: number, body: object = {}, headers: Record<string, string> = {}) =>
  OpenAI.APIError.generate(status, { error: body }, 'message', new Headers(headers));

describe(mapOpenAiFinishReason.name, () => {
  it.each([
    ['stop', undefined],
    ['length', 'truncated'],
    ['content_filter', 'content_blocked'],
    ['tool_calls', undefined],
    [null, undefined],
    ['something_new', 'invalid_output'],
  ])('%p → %p', (reason, kind) => {
    expect(mapOpenAiFinishReason(reason)).toBe(kind);
  });
});

describe(mapOpenAiError.name, () => {
  it('classifies by SDK class and status', () => {
    expect(mapOpenAiError(apiError(503))).toEqual({ kind: 'overloaded', status: 503 });
    expect(mapOpenAiError(apiError(500))).toEqual({ kind: 'server_error', status: 500 });
    expect(mapOpenAiError(apiError(401))).toEqual({ kind: 'auth', status: 401 });
    expect(mapOpenAiError(apiError(400))).toEqual({ kind: 'bad_request', status: 400 });
  });

  it('reads Retry-After from a 429', () => {
    expect(mapOpenAiError(apiError(429, {}, { 'retry-after-ms': '1200' }))).toEqual({
      kind: 'rate_limited',
      status: 429,
      retryAfterMs: 1200,
    });
  });

  it('uses the structured code for context length, not the message', () => {
    expect(mapOpenAiError(apiError(400, { code: 'context_length_exceeded' }))).toEqual({
      kind: 'context_length',
      status: 400,
    });
  });

  it('uses the structured code for a content-policy refusal (OpenAI and Azure OpenAI)', () => {
    for (const code of ['content_policy_violation', 'content_filter'])
      expect(mapOpenAiError(apiError(400, { code }))).toEqual({
        kind: 'content_blocked',
        status: 400,
        reason: code,
      });
  });

  it('timeouts and connection errors', () => {
    expect(mapOpenAiError(new OpenAI.APIConnectionTimeoutError())).toEqual({ kind: 'timeout' });
    expect(mapOpenAiError(new OpenAI.APIConnectionError({ message: 'x' }))).toEqual({
      kind: 'network',
    });
    expect(mapOpenAiError(new TypeError('boom'))).toEqual({ kind: 'network' });
  });

  it("the SDK's own refusal of a request before sending it is the request's fault", () => {
    expect(mapOpenAiError(new OpenAI.OpenAIError('bad parameters'))).toEqual({
      kind: 'bad_request',
    });
  });
});

describe(toOpenAiStrictSchema.name, () => {
  it('drops length keywords strict mode rejects, keeping everything else', () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 5, minLength: 1 },
        tags: { type: 'array', items: { type: 'string', maxLength: 3 }, minItems: 1 },
      },
      required: ['name', 'tags'],
      additionalProperties: false,
    };
    expect(toOpenAiStrictSchema(schema)).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
      },
      required: ['name', 'tags'],
      additionalProperties: false,
    });
  });
});

describe(openAiStrictSchemaOf.name, () => {
  it('converts a schema object once and answers the same conversion for it afterwards', () => {
    const schema = { type: 'object', properties: { name: { type: 'string', maxLength: 5 } } };
    const strict = openAiStrictSchemaOf(schema);
    expect(strict).toEqual(toOpenAiStrictSchema(schema));
    expect(openAiStrictSchemaOf(schema)).toBe(strict);
    // Another object with the same content is converted on its own.
    expect(openAiStrictSchemaOf({ ...schema })).not.toBe(strict);
  });
});

describe(promptCacheKey.name, () => {
  const learner = (who: string, lesson: string) => [
    { role: 'system' as const, content: 'You write lessons.' },
    { role: 'user' as const, content: `Learner: ${who}`, cacheBreakpoint: true },
    { role: 'user' as const, content: `Lesson: ${lesson}` },
  ];

  it('one key for requests that share the marked prefix, another for another prefix, none without a mark', () => {
    const first = promptCacheKey(learner('nurse', 'l01'));
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(promptCacheKey(learner('nurse', 'l02'))).toBe(first);
    expect(promptCacheKey(learner('pilot', 'l01'))).not.toBe(first);
    expect(promptCacheKey([{ role: 'user', content: 'hi' }])).toBeUndefined();
  });
});
