import Anthropic from '@anthropic-ai/sdk';
import { mapAnthropicError, mapAnthropicStopReason } from './anthropic.mapping';

const apiError = (status: number | undefined, type: string, headers: Record<string, string> = {}) =>
  Anthropic.APIError.generate(
    status,
    { type: 'error', error: { type, message: 'm' } },
    'message',
    new Headers(headers),
  );

describe(mapAnthropicStopReason.name, () => {
  it.each([
    ['end_turn', undefined],
    ['tool_use', undefined],
    ['stop_sequence', undefined],
    ['max_tokens', 'truncated'],
    ['refusal', 'content_blocked'],
    ['model_context_window_exceeded', 'context_length'],
    ['pause_turn', 'invalid_output'],
  ])('%p → %p', (reason, kind) => {
    expect(mapAnthropicStopReason(reason)).toBe(kind);
  });
});

describe(mapAnthropicError.name, () => {
  it('529 overloaded_error and 503 are both overload', () => {
    expect(mapAnthropicError(apiError(529, 'overloaded_error'))).toEqual({
      kind: 'overloaded',
      status: 529,
    });
    expect(mapAnthropicError(apiError(503, 'api_error'))).toEqual({
      kind: 'overloaded',
      status: 503,
    });
  });

  it('an overload inside a stream has no status but a typed body', () => {
    const inStream = new Anthropic.APIError(
      undefined,
      { type: 'error', error: { type: 'overloaded_error', message: 'm' } },
      undefined,
      new Headers(),
    );
    expect(mapAnthropicError(inStream)).toEqual({ kind: 'overloaded', status: undefined });
  });

  it('429 with retry-after', () => {
    expect(mapAnthropicError(apiError(429, 'rate_limit_error', { 'retry-after': '2' }))).toEqual({
      kind: 'rate_limited',
      status: 429,
      retryAfterMs: 2000,
    });
  });

  it('auth, server errors, timeouts, connection errors', () => {
    expect(mapAnthropicError(apiError(401, 'authentication_error'))).toEqual({
      kind: 'auth',
      status: 401,
    });
    expect(mapAnthropicError(apiError(500, 'api_error'))).toEqual({
      kind: 'server_error',
      status: 500,
    });
    expect(mapAnthropicError(new Anthropic.APIConnectionTimeoutError())).toEqual({
      kind: 'timeout',
    });
    expect(mapAnthropicError(new Anthropic.APIConnectionError({ message: 'reset' }))).toEqual({
      kind: 'network',
    });
  });

  it("the SDK's own refusal before sending (a max_tokens too large to answer unstreamed) is the request's fault", async () => {
    const client = new Anthropic({
      apiKey: 'unused',
      baseURL: 'http://127.0.0.1:9',
      maxRetries: 0,
    });
    // The SDK throws this one synchronously, before any request.
    const thrown = await Promise.resolve()
      .then(() =>
        client.messages.create({
          model: 'claude-haiku-4-5',
          max_tokens: 1_000_000,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      )
      .catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(Anthropic.AnthropicError);
    expect(thrown).not.toBeInstanceOf(Anthropic.APIError);
    expect(mapAnthropicError(thrown)).toEqual({ kind: 'bad_request' });
  });
});
