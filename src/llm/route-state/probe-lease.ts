/**
 * Who runs the recovery probes. Alone, a process always does; in a deployment of several replicas one of them holds
 * a lease at a time, so providers see one probe per interval per route for the whole deployment.
 */
export interface ProbeLease {
  /** Whether this process may run a probe round now. Read on every round; never waits. */
  held(): boolean;
}

/** A single process: it always probes. */
export const LOCAL_PROBE_LEASE: ProbeLease = { held: () => true };
