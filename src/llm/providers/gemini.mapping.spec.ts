import { ApiError } from '@google/genai';
import { mapGeminiError, mapGeminiFinishReason } from './gemini.mapping';

describe(mapGeminiFinishReason.name, () => {
  it.each([
    ['STOP', undefined],
    ['MAX_TOKENS', 'truncated'],
    ['CONTINUATION', 'truncated'],
    ['SAFETY', 'content_blocked'],
    ['RECITATION', 'content_blocked'],
    ['BLOCKLIST', 'content_blocked'],
    ['PROHIBITED_CONTENT', 'content_blocked'],
    ['SPII', 'content_blocked'],
    ['MALFORMED_FUNCTION_CALL', 'invalid_output'],
    [undefined, undefined],
    ['OTHER', 'invalid_output'],
    ['SOMETHING_NEW', 'invalid_output'],
  ])('%p → %p', (reason, kind) => {
    expect(mapGeminiFinishReason(reason)).toBe(kind);
  });
});

describe(mapGeminiError.name, () => {
  it('classifies ApiError by status, with the Retry-After read by the fetch wrapper', () => {
    expect(mapGeminiError(new ApiError({ message: 'm', status: 503 }))).toEqual({
      kind: 'overloaded',
      status: 503,
    });
    expect(mapGeminiError(new ApiError({ message: 'm', status: 500 }))).toEqual({
      kind: 'server_error',
      status: 500,
    });
    expect(mapGeminiError(new ApiError({ message: 'm', status: 403 }))).toEqual({
      kind: 'auth',
      status: 403,
    });
    expect(
      mapGeminiError(new ApiError({ message: 'm', status: 429 }), { retryAfterMs: 4000 }),
    ).toEqual({
      kind: 'rate_limited',
      status: 429,
      retryAfterMs: 4000,
    });
  });

  it('aborts are timeouts; other fetch failures are network errors', () => {
    const abort = new Error('aborted');
    abort.name = 'AbortError';
    expect(mapGeminiError(abort)).toEqual({ kind: 'timeout' });
    expect(
      mapGeminiError(new ApiError({ message: 'm', status: 400 }), { keyRejected: true }),
    ).toEqual({
      kind: 'auth',
      status: 400,
    });
    expect(mapGeminiError(new ApiError({ message: 'm', status: 400 }))).toEqual({
      kind: 'bad_request',
      status: 400,
    });
    expect(mapGeminiError(new TypeError('fetch failed'))).toEqual({ kind: 'network' });
  });
});
