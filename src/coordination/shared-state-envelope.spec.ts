import {
  checkedChainState,
  checkedMessage,
  RejectedStateError,
  SharedStateEnvelope,
} from './shared-state-envelope';

const closed = { state: 'closed', consecutiveFailures: 0, consecutiveProbeSuccesses: 0 };
const state = (overrides: object = {}) => ({
  sticky: { index: 1, since: 1_700_000_000_000, reason: 'overloaded' },
  routes: [
    { circuit: { ...closed }, consecutiveOutputFailures: 0 },
    { circuit: { ...closed }, consecutiveOutputFailures: 0 },
  ],
  ...overrides,
});

const reasonOf = (work: () => unknown) => {
  try {
    work();
    return 'accepted';
  } catch (error) {
    return error instanceof RejectedStateError ? error.reason : 'thrown';
  }
};

describe(SharedStateEnvelope.name, () => {
  const envelope = new SharedStateEnvelope('a-shared-secret-of-at-least-32-chars!');

  it('opens what it sealed; refuses another secret, a tampered body, an unsigned or malformed value', () => {
    const sealed = envelope.seal(state());
    expect(envelope.open(sealed)).toEqual(state());
    const other = new SharedStateEnvelope('another-secret-of-at-least-32-characters');
    expect(reasonOf(() => other.open(sealed))).toBe('signature');
    const tampered = sealed.replace('"index\\":1', '"index\\":0');
    expect(tampered).not.toBe(sealed);
    expect(reasonOf(() => envelope.open(tampered))).toBe('signature');
    expect(reasonOf(() => envelope.open(JSON.stringify(state())))).toBe('signature');
    expect(reasonOf(() => envelope.open('not json'))).toBe('shape');
    expect(reasonOf(() => envelope.open('x'.repeat(100_000)))).toBe('shape');
  });
});

describe(checkedChainState.name, () => {
  it.each([
    ['a valid state', state(), 'accepted'],
    ['a sticky index past the chain', state({ sticky: { index: 99 } }), 'shape'],
    ['a negative sticky index', state({ sticky: { index: -1 } }), 'shape'],
    [
      'an unknown circuit state',
      state({ routes: [{ circuit: { ...closed, state: 'exploded' } }, { circuit: closed }] }),
      'shape',
    ],
    ['an unknown sticky reason', state({ sticky: { index: 0, reason: '<script>' } }), 'shape'],
    ['no routes', state({ routes: [] }), 'shape'],
    [
      'a count that is not a count',
      state({ routes: [{ circuit: { ...closed, consecutiveFailures: -5 } }, { circuit: closed }] }),
      'shape',
    ],
    ['not an object', 'disable everything', 'shape'],
  ])('%s: %s', (_name, value, expected) => {
    expect(reasonOf(() => checkedChainState(value))).toBe(expected);
  });

  it('refuses a state whose length is not the chain’s', () => {
    expect(reasonOf(() => checkedChainState(state(), 3))).toBe('shape');
  });

  it('checks a message’s origin, chain and state', () => {
    expect(
      reasonOf(() => checkedMessage({ origin: 'pod', chain: 'a:b,c:d', state: state() })),
    ).toBe('accepted');
    expect(reasonOf(() => checkedMessage({ origin: 'pod', chain: 7, state: state() }))).toBe(
      'shape',
    );
    expect(
      reasonOf(() => checkedMessage({ origin: 'pod', chain: 'a:b', state: { routes: [] } })),
    ).toBe('shape');
  });
});
