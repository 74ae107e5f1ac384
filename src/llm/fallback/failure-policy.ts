import { FailureDetails, FailureKind } from '../llm.errors';

/** The longest Retry-After the loop waits out on the same route; longer ones move on to the next route. */
export const MAX_RATE_LIMIT_WAIT_MS = 10_000;
/** Full-jitter backoff bounds before the one same-route retry after a 5xx or a dropped connection. */
export const BACKOFF_MIN_MS = 50;
export const BACKOFF_MAX_MS = 500;

/**
 * What a failure says about a route, beyond the request that saw it:
 * - availability: the route did not answer (overload, 5xx, timeout or hang, network, rate limit). It moves the
 *   sticky route and counts against the route's circuit.
 * - output: the route answered, but unusably (truncated, not JSON, schema mismatch, empty). It falls over for this
 *   request; the sticky route moves only after LLM_OUTPUT_FAILURES_TO_SWITCH of them in a row on the same route.
 * - request: the request itself (invalid, too long for the context, refused by a content policy). It falls over for
 *   this request only: a caller cannot move everyone's traffic with a bad request.
 * - auth: the key was rejected. The route is disabled until a reprobe succeeds.
 */
export type FailureFamily = 'availability' | 'output' | 'request' | 'auth';

export function failureFamily(kind: FailureKind): FailureFamily {
  switch (kind) {
    case 'overloaded':
    case 'server_error':
    case 'timeout':
    case 'network':
    case 'rate_limited':
      return 'availability';
    case 'truncated':
    case 'invalid_output':
      return 'output';
    case 'bad_request':
    case 'context_length':
    case 'content_blocked':
      return 'request';
    case 'auth':
      return 'auth';
  }
}

/** The policy table: whether a failure moves the sticky route, counts against the circuit, disables the route. */
export interface FailureEffects {
  movesSticky: 'yes' | 'after_repeats' | 'no';
  countsForCircuit: boolean;
  disablesRoute: boolean;
}

export function failureEffects(kind: FailureKind): FailureEffects {
  const family = failureFamily(kind);
  return {
    movesSticky: family === 'availability' ? 'yes' : family === 'output' ? 'after_repeats' : 'no',
    countsForCircuit: family === 'availability',
    disablesRoute: family === 'auth',
  };
}

/**
 * Failures a caller can bring about on a healthy route: an output so large it runs past the attempt timeout (or a
 * prompt so long its first token is late), one key's traffic over the provider's rate limit. When gateway callers
 * share the service's routing state (LLM_GATEWAY_ROUTING=shared), their traffic does not count these toward the
 * circuits or the sticky route; probes, 5xx, connection errors and the service's own calls still do.
 */
export function callerShapeable(kind: FailureKind): boolean {
  return kind === 'timeout' || kind === 'rate_limited';
}

export interface PolicyContext {
  /** Same-route retries already spent on this route in this request (at most one is allowed). */
  retriesOnRoute: number;
  /** Time left before the request deadline. */
  remainingMs: number;
  /** The least time an attempt needs; no wait is worth it if less than this is left after it. */
  minAttemptMs: number;
  /** Injected for tests; Math.random otherwise. */
  random?: () => number;
}

export type Decision =
  | { action: 'retry_same_route'; delayMs: number; why: string }
  | { action: 'next_route'; disableRoute: boolean; why: string };

function next(why: string, disableRoute = false): Decision {
  return { action: 'next_route', disableRoute, why };
}

/**
 * What the fallback loop does after a failed attempt. Pure: the whole failure policy in one switch.
 * - overloaded: next route at once, never the same route again in this request;
 * - rate limited: wait a short Retry-After (≤ 10 s, fitting the deadline) and retry once; else next route;
 * - 5xx and dropped connections: one same-route retry after a short jittered backoff, then next route;
 * - timeout: next route (a silent route is not retried);
 * - bad key: next route, and the route is disabled for the life of the process;
 * - bad request, context length, blocked, truncated, invalid output: next route.
 */
export function decideAfterFailure(failure: FailureDetails, context: PolicyContext): Decision {
  const fits = (delayMs: number) => delayMs + context.minAttemptMs <= context.remainingMs;
  const random = context.random ?? Math.random;
  switch (failure.kind) {
    case 'rate_limited': {
      const wait = failure.retryAfterMs;
      if (context.retriesOnRoute > 0) return next('rate limited again');
      if (wait === undefined) return next('rate limited without Retry-After');
      if (wait > MAX_RATE_LIMIT_WAIT_MS) return next('Retry-After too long');
      if (!fits(wait)) return next('Retry-After does not fit the deadline');
      return { action: 'retry_same_route', delayMs: wait, why: 'waiting out Retry-After' };
    }
    case 'server_error':
    case 'network': {
      if (context.retriesOnRoute > 0) return next('failed again after a retry');
      const delayMs = BACKOFF_MIN_MS + Math.floor(random() * (BACKOFF_MAX_MS - BACKOFF_MIN_MS));
      if (!fits(delayMs)) return next('no time left for a retry');
      return { action: 'retry_same_route', delayMs, why: 'transient failure' };
    }
    case 'auth':
      return next('bad key', true);
    case 'overloaded':
    case 'timeout':
    case 'bad_request':
    case 'context_length':
    case 'content_blocked':
    case 'truncated':
    case 'invalid_output':
      return next(failure.kind);
  }
}
