import { FakeClock } from '../../../test/support/fake-clock';
import { Clock, SYSTEM_CLOCK } from '../../common/clock';
import { parseRouteList, routeId } from '../routes';
import { ChainState } from './chain-state';
import { InMemoryRouteStateStore } from './route-state.store';

const chain = parseRouteList('gemini:primary,gemini:second,openai:third');

const POLICY = {
  failureThreshold: 3,
  successesToClose: 2,
  outputFailuresToSwitch: 3,
  disabledReprobeMs: 600_000,
};

/** A chain's state over a fresh in-memory store (the system clock unless a fake one is given). */
const newState = (clock: Clock = SYSTEM_CLOCK) =>
  new ChainState(chain, POLICY, new InMemoryRouteStateStore(), clock);

describe(ChainState.name, () => {
  let state: ChainState;
  beforeEach(() => {
    state = newState();
  });

  it('starts at the primary and plans the whole chain in order', () => {
    const plan = state.plan();
    expect(plan.startIndex).toBe(0);
    expect(plan.routes.map(({ route }) => routeId(route))).toEqual([
      'gemini:primary',
      'gemini:second',
      'openai:third',
    ]);
    expect(state.sticky()).toMatchObject({ index: 0, since: undefined });
  });

  it('sticks to the route a fallback succeeded on, with the time and the reason', () => {
    state.recordSuccess(state.plan(), 2, 'overloaded');
    const sticky = state.sticky();
    expect(routeId(sticky.route)).toBe('openai:third');
    expect(sticky.reason).toBe('overloaded');
    expect(sticky.since).toBeInstanceOf(Date);
    expect(state.plan().routes.map(({ index }) => index)).toEqual([2, 0, 1]);
  });

  it('ignores a success planned before another request moved the sticky route', () => {
    const stale = state.plan();
    state.recordSuccess(state.plan(), 2, 'overloaded');
    state.recordSuccess(stale, 1, 'timeout');
    expect(state.sticky().index).toBe(2);
  });

  it('a success at the start route changes nothing', () => {
    state.recordSuccess(state.plan(), 0, undefined);
    expect(state.sticky()).toMatchObject({ index: 0, since: undefined });
  });

  it('moves back to the primary when a wrapped-around request succeeds there', () => {
    state.recordSuccess(state.plan(), 2, 'overloaded');
    state.recordSuccess(state.plan(), 0, 'overloaded');
    expect(state.sticky()).toMatchObject({ index: 0, reason: 'recovered' });
  });

  it('reset() moves traffic back to the primary', () => {
    state.recordSuccess(state.plan(), 1, 'timeout');
    state.reset();
    expect(state.sticky()).toMatchObject({ index: 0, reason: 'reset' });
  });

  it('leaves disabled routes out of every plan, for good', () => {
    state.disable(chain[0], 'auth (401)');
    state.disable(chain[0], 'auth (401)');
    expect(state.plan().routes.map(({ index }) => index)).toEqual([1, 2]);
    state.reset();
    expect(state.isDisabled(chain[0])).toBe(true);
    expect(state.disabledReason(chain[0])).toBe('auth (401)');
  });
});

describe(`${ChainState.name} circuits`, () => {
  let state: ChainState;
  beforeEach(() => {
    state = newState();
  });
  const circuit = (index: number) => state.snapshot()[index].circuit;

  it('opens after 3 availability failures in a row, and user traffic skips the open route', () => {
    state.recordAttempt(0, 'overloaded');
    state.recordAttempt(0, 'timeout');
    expect(circuit(0)).toBe('closed');
    state.recordAttempt(0, 'server_error');
    expect(circuit(0)).toBe('open');
    expect(state.plan().routes.map(({ index }) => index)).toEqual([1, 2]);
  });

  it('a success in between starts the count again', () => {
    state.recordAttempt(0, 'overloaded');
    state.recordAttempt(0, 'overloaded');
    state.recordAttempt(0, 'success');
    state.recordAttempt(0, 'overloaded');
    expect(circuit(0)).toBe('closed');
  });

  it('rate limits count apart but open the circuit like any availability failure', () => {
    for (let i = 0; i < 3; i += 1) state.recordAttempt(0, 'rate_limited');
    expect(circuit(0)).toBe('open');
    expect(state.snapshot()[0].counts).toMatchObject({ rateLimits: 3, availabilityFailures: 0 });
  });

  it('bad output and request failures are counted and never open the circuit', () => {
    for (const kind of [
      'invalid_output',
      'truncated',
      'bad_request',
      'context_length',
      'content_blocked',
    ] as const)
      for (let i = 0; i < 5; i += 1) state.recordAttempt(0, kind);
    expect(circuit(0)).toBe('closed');
    expect(state.snapshot()[0].counts).toMatchObject({
      badOutputs: 10,
      otherFailures: 15,
      availabilityFailures: 0,
    });
  });

  it('tries open routes rather than refusing when no closed route is left', () => {
    for (const index of [0, 1, 2])
      for (let i = 0; i < 3; i += 1) state.recordAttempt(index, 'network');
    expect(state.plan().routes.map(({ index }) => index)).toEqual([0, 1, 2]);
  });

  it('probes go to routes ahead of the sticky one and to open routes; half-open after one success, closed after N', () => {
    state.recordSuccess(state.plan(), 1, 'overloaded');
    for (let i = 0; i < 3; i += 1) state.recordAttempt(2, 'timeout');
    expect(state.probeTargets().map(({ index }) => index)).toEqual([0, 2]);

    state.recordProbe(2, 'success');
    expect(circuit(2)).toBe('half_open');
    state.recordProbe(2, 'overloaded');
    expect(circuit(2)).toBe('open');
    state.recordProbe(2, 'success');
    state.recordProbe(2, 'success');
    expect(circuit(2)).toBe('closed');
  });

  it('moves traffic back to the earliest route with N probe successes in a row, and only then', () => {
    state.recordSuccess(state.plan(), 2, 'overloaded');
    state.recordProbe(0, 'success');
    state.recordProbe(1, 'success');
    expect(state.recoverIfHealthy()).toBeUndefined();
    state.recordProbe(0, 'success');
    state.recordProbe(1, 'success');
    expect(state.recoverIfHealthy()).toEqual(chain[0]);
    expect(state.sticky()).toMatchObject({ index: 0, reason: 'recovered' });
    expect(state.needsProbing()).toBe(false);
  });

  it('a flapping route never collects N successes in a row', () => {
    state.recordSuccess(state.plan(), 1, 'overloaded');
    for (let round = 0; round < 10; round += 1) {
      state.recordProbe(0, round % 2 === 0 ? 'success' : 'overloaded');
      expect(state.recoverIfHealthy()).toBeUndefined();
    }
    expect(state.sticky().index).toBe(1);
  });
});

describe(`${ChainState.name} stickiness moves only on availability`, () => {
  let state: ChainState;
  beforeEach(() => {
    state = newState();
  });

  it('a request-specific failure (context length, refusal, bad request) never moves the sticky route', () => {
    for (const kind of ['context_length', 'content_blocked', 'bad_request'] as const) {
      state.recordAttempt(0, kind);
      expect(state.isUnavailabilitySignal(0, kind)).toBe(false);
      state.recordSuccess(state.plan(), 1, undefined);
      expect(state.sticky().index).toBe(0);
    }
  });

  it('output failures move it only after LLM_OUTPUT_FAILURES_TO_SWITCH in a row on the same route', () => {
    for (const expected of [false, false, true]) {
      state.recordAttempt(0, 'invalid_output');
      expect(state.isUnavailabilitySignal(0, 'invalid_output')).toBe(expected);
    }
    state.recordAttempt(0, 'success');
    state.recordAttempt(0, 'truncated');
    expect(state.isUnavailabilitySignal(0, 'truncated')).toBe(false); // a success started the count again
  });

  it('an availability failure moves it, with its kind as the reason', () => {
    state.recordAttempt(0, 'rate_limited');
    expect(state.isUnavailabilitySignal(0, 'rate_limited')).toBe(true);
    state.recordSuccess(state.plan(), 1, 'rate_limited');
    expect(state.sticky()).toMatchObject({ index: 1, reason: 'rate_limited' });
  });

  it('a disabled route is probed again after LLM_DISABLED_REPROBE_MS and comes back when its key works', () => {
    const clock = new FakeClock();
    const withClock = newState(clock);
    withClock.disable(chain[1], 'auth (401)');
    expect(withClock.probeTargets()).toEqual([]);
    clock.advance(600_000);
    expect(withClock.probeTargets().map(({ index }) => index)).toEqual([1]);
    withClock.recordProbe(1, 'auth');
    expect(withClock.probeTargets()).toEqual([]); // the next try waits another interval
    clock.advance(600_000);
    withClock.recordProbe(1, 'success');
    expect(withClock.isDisabled(chain[1])).toBe(false);
    expect(withClock.plan().routes.map(({ index }) => index)).toEqual([0, 1, 2]);
  });
});
