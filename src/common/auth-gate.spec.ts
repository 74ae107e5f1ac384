import { UnauthorizedException } from '@nestjs/common';
import { FakeClock } from '../../test/support/fake-clock';
import { AuthGate, TooManyAuthFailuresError } from './auth-gate';

const keys = [{ key: 'client-key-AAAA1111BBBB2222', id: 'billing' }];

describe(AuthGate.name, () => {
  it('knows a key by its id, from x-api-key or a bearer token', () => {
    const gate = new AuthGate(keys, 5);
    expect(gate.verify({ 'x-api-key': keys[0].key }, '10.0.0.1')).toBe('key:billing');
    expect(gate.verify({ authorization: `Bearer ${keys[0].key}` }, '10.0.0.1')).toBe('key:billing');
  });

  it('answers 401, then 429 once an address fails more than its limit in a minute; the window then ends', () => {
    const clock = new FakeClock();
    const gate = new AuthGate(keys, 2, clock);
    const attempt = () => gate.verify({ 'x-api-key': 'wrong-key-0000000000' }, '10.0.0.2');
    expect(attempt).toThrow(UnauthorizedException);
    expect(() => gate.verify({}, '10.0.0.2')).toThrow(UnauthorizedException);
    expect(attempt).toThrow(TooManyAuthFailuresError);
    // Another address is not affected; a valid key from the limited one still passes.
    expect(() => gate.verify({}, '10.0.0.3')).toThrow(UnauthorizedException);
    expect(gate.verify({ 'x-api-key': keys[0].key }, '10.0.0.2')).toBe('key:billing');
    clock.advance(60_000);
    expect(attempt).toThrow(UnauthorizedException);
  });
});
