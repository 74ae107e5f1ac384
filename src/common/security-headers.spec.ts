import helmet from 'helmet';
import { applyHeaderChanges, recordHelmetHeaders } from './security-headers';

/** A response that keeps its headers in a map, as Node's does. */
function fakeResponse() {
  const headers = new Map<string, string>([['x-powered-by', 'Express']]);
  return {
    headers,
    setHeader: (name: string, value: string) => headers.set(name.toLowerCase(), String(value)),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  };
}

describe('securityHeaders', () => {
  it.each([{ contentSecurityPolicy: false }, {}])(
    'sets exactly the headers helmet(%j) sets',
    (options) => {
      const byHelmet = fakeResponse();
      helmet(options)({} as never, byHelmet as never, () => undefined);
      const byUs = fakeResponse();
      applyHeaderChanges(byUs, recordHelmetHeaders(options));
      expect(Object.fromEntries(byUs.headers)).toEqual(Object.fromEntries(byHelmet.headers));
      expect(byUs.headers.get('x-content-type-options')).toBe('nosniff');
      expect(byUs.headers.has('x-powered-by')).toBe(false);
    },
  );

  it('records the content security policy only when it is on', () => {
    const names = (options: object) =>
      recordHelmetHeaders(options).map((change) => change.name.toLowerCase());
    expect(names({ contentSecurityPolicy: false })).not.toContain('content-security-policy');
    expect(names({})).toContain('content-security-policy');
  });
});
