/** Every way a provider call can fail, decided at the provider boundary. */
export const FAILURE_KINDS = [
  'overloaded',
  'rate_limited',
  'server_error',
  'timeout',
  'network',
  'auth',
  'bad_request',
  'context_length',
  'content_blocked',
  'truncated',
  'invalid_output',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface FailureDetails {
  kind: FailureKind;
  status?: number;
  retryAfterMs?: number;
  /** For a refusal: the provider's own reason, from a structured field (`content_policy_violation`, `SAFETY`). */
  reason?: string;
  /** A stream that ended without its provider's end marker (cut), as opposed to a length finish. */
  cutShort?: boolean;
}
