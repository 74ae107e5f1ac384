import { classifyHttpStatus, parseRetryAfter } from './http-failure';

const headers = (entries: Record<string, string>) => new Headers(entries);

describe(classifyHttpStatus.name, () => {
  it.each([
    [401, 'auth'],
    [403, 'auth'],
    [408, 'timeout'],
    [413, 'context_length'],
    [429, 'rate_limited'],
    [503, 'overloaded'],
    [529, 'overloaded'],
    [500, 'server_error'],
    [502, 'server_error'],
    [504, 'server_error'],
    [400, 'bad_request'],
    [404, 'bad_request'],
    [422, 'bad_request'],
  ])('%d → %s', (status, kind) => {
    expect(classifyHttpStatus(status)).toBe(kind);
  });
});

describe(parseRetryAfter.name, () => {
  it('prefers retry-after-ms', () => {
    expect(parseRetryAfter(headers({ 'retry-after-ms': '250.4', 'retry-after': '9' }))).toBe(250);
  });
  it('reads seconds', () => {
    expect(parseRetryAfter(headers({ 'retry-after': '3' }))).toBe(3000);
  });
  it('reads an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now)).toBe(
      5000,
    );
  });
  it('ignores garbage and absence', () => {
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(parseRetryAfter(headers({}))).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
