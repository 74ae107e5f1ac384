/** Closed: takes traffic. Open: skipped by user traffic. Half-open: probes are succeeding, not enough yet. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** One route's circuit as plain data, so a store can keep it and a table can test it. */
export interface Circuit {
  state: CircuitState;
  /** Availability failures in a row (user attempts and probes). */
  consecutiveFailures: number;
  /** Successful probes in a row since the last failure. */
  consecutiveProbeSuccesses: number;
  /** Epoch milliseconds when it last opened. */
  openedAt: number | undefined;
}

export type CircuitEvent =
  | 'attempt_success' // a user attempt answered
  | 'availability_failure' // a user attempt did not answer (overloaded, 5xx, timeout, network)
  | 'probe_success'
  | 'probe_failure' // a probe failed for a reason other than availability
  | 'probe_availability_failure';

export interface CircuitPolicy {
  /** Availability failures in a row that open a closed circuit. */
  failureThreshold: number;
  /** Probe successes in a row that close a half-open circuit. */
  successesToClose: number;
}

export type CircuitTransition = 'opened' | 'closed' | 'half_opened' | 'reopened' | undefined;

export const CLOSED_CIRCUIT: Circuit = {
  state: 'closed',
  consecutiveFailures: 0,
  consecutiveProbeSuccesses: 0,
  openedAt: undefined,
};

/**
 * The circuit state machine, pure: the next circuit after an event, and the transition it made (for logs).
 *
 *   closed ── failureThreshold availability failures in a row ──► open
 *   open ── probe success ──► half_open ── successesToClose probe successes in a row ──► closed
 *   half_open ── probe failure ──► open
 *   any ── user attempt succeeds ──► closed
 */
export function nextCircuit(
  circuit: Circuit,
  event: CircuitEvent,
  policy: CircuitPolicy,
  nowMs: number,
): { circuit: Circuit; transition: CircuitTransition } {
  switch (event) {
    case 'attempt_success':
      return {
        circuit: {
          ...CLOSED_CIRCUIT,
          consecutiveProbeSuccesses: circuit.consecutiveProbeSuccesses,
        },
        transition: circuit.state === 'closed' ? undefined : 'closed',
      };
    case 'availability_failure':
    case 'probe_availability_failure': {
      const failed = probeFailed(circuit, event === 'probe_availability_failure');
      const failures = circuit.consecutiveFailures + 1;
      if (failed.state !== 'closed' || failures < policy.failureThreshold) {
        return {
          circuit: { ...failed, consecutiveFailures: failures },
          transition: failed.state !== circuit.state ? 'reopened' : undefined,
        };
      }
      return {
        circuit: {
          state: 'open',
          consecutiveFailures: failures,
          consecutiveProbeSuccesses: 0,
          openedAt: nowMs,
        },
        transition: 'opened',
      };
    }
    case 'probe_failure': {
      const failed = probeFailed(circuit, true);
      return {
        circuit: failed,
        transition: failed.state !== circuit.state ? 'reopened' : undefined,
      };
    }
    case 'probe_success': {
      const successes = circuit.consecutiveProbeSuccesses + 1;
      const state = circuit.state === 'open' ? 'half_open' : circuit.state;
      if (state === 'half_open' && successes >= policy.successesToClose) {
        return {
          circuit: { ...CLOSED_CIRCUIT, consecutiveProbeSuccesses: successes },
          transition: 'closed',
        };
      }
      return {
        circuit: { ...circuit, state, consecutiveProbeSuccesses: successes },
        transition: state !== circuit.state ? 'half_opened' : undefined,
      };
    }
  }
}

/** A failed probe starts the success count again and sends a half-open circuit back to open. */
function probeFailed(circuit: Circuit, isProbe: boolean): Circuit {
  if (!isProbe) return circuit;
  return {
    ...circuit,
    consecutiveProbeSuccesses: 0,
    state: circuit.state === 'half_open' ? 'open' : circuit.state,
  };
}
