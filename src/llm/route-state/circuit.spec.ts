import { Circuit, CircuitEvent, CLOSED_CIRCUIT, nextCircuit } from './circuit';

const policy = { failureThreshold: 3, successesToClose: 2 };
const NOW = 1_000;

const circuit = (overrides: Partial<Circuit>): Circuit => ({ ...CLOSED_CIRCUIT, ...overrides });
const closed = (failures = 0, probes = 0) =>
  circuit({ consecutiveFailures: failures, consecutiveProbeSuccesses: probes });
const open = (failures = 3, probes = 0) =>
  circuit({
    state: 'open',
    consecutiveFailures: failures,
    consecutiveProbeSuccesses: probes,
    openedAt: 1,
  });
const halfOpen = (probes = 1) =>
  circuit({
    state: 'half_open',
    consecutiveFailures: 3,
    consecutiveProbeSuccesses: probes,
    openedAt: 1,
  });

describe(nextCircuit.name, () => {
  it.each<[string, Circuit, CircuitEvent, Partial<Circuit>, string | undefined]>([
    [
      'closed: a failure below the threshold is counted',
      closed(1),
      'availability_failure',
      { state: 'closed', consecutiveFailures: 2 },
      undefined,
    ],
    [
      'closed: the third failure in a row opens it',
      closed(2),
      'availability_failure',
      { state: 'open', consecutiveFailures: 3, openedAt: NOW },
      'opened',
    ],
    [
      'closed: a failed probe at the threshold opens it',
      closed(2, 1),
      'probe_availability_failure',
      { state: 'open', consecutiveProbeSuccesses: 0 },
      'opened',
    ],
    [
      'closed: a success resets the failures',
      closed(2),
      'attempt_success',
      { state: 'closed', consecutiveFailures: 0 },
      undefined,
    ],
    [
      'closed: a probe success counts toward recovery',
      closed(0, 1),
      'probe_success',
      { state: 'closed', consecutiveProbeSuccesses: 2 },
      undefined,
    ],
    [
      'closed: a bad-output probe restarts the probe count',
      closed(0, 1),
      'probe_failure',
      { state: 'closed', consecutiveProbeSuccesses: 0 },
      undefined,
    ],
    [
      'open: more failures keep it open',
      open(),
      'availability_failure',
      { state: 'open', consecutiveFailures: 4, openedAt: 1 },
      undefined,
    ],
    [
      'open: a probe success makes it half-open',
      open(),
      'probe_success',
      { state: 'half_open', consecutiveProbeSuccesses: 1 },
      'half_opened',
    ],
    [
      'open: a user success closes it',
      open(),
      'attempt_success',
      { state: 'closed', consecutiveFailures: 0, openedAt: undefined },
      'closed',
    ],
    [
      'half-open: enough probe successes close it',
      halfOpen(1),
      'probe_success',
      { state: 'closed', consecutiveFailures: 0, consecutiveProbeSuccesses: 2 },
      'closed',
    ],
    [
      'half-open: a failed probe reopens it',
      halfOpen(1),
      'probe_availability_failure',
      { state: 'open', consecutiveProbeSuccesses: 0 },
      'reopened',
    ],
    [
      'half-open: a bad-output probe reopens it',
      halfOpen(1),
      'probe_failure',
      { state: 'open', consecutiveProbeSuccesses: 0 },
      'reopened',
    ],
    [
      'half-open: a user success closes it',
      halfOpen(1),
      'attempt_success',
      { state: 'closed' },
      'closed',
    ],
  ])('%s', (_name, before, event, after, transition) => {
    const result = nextCircuit(before, event, policy, NOW);
    expect(result.circuit).toMatchObject(after);
    expect(result.transition).toBe(transition);
  });

  it('never changes the circuit it was given', () => {
    const before = closed(2);
    nextCircuit(before, 'availability_failure', policy, NOW);
    expect(before).toEqual(closed(2));
  });
});
