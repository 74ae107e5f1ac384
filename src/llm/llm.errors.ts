import { DomainError } from '../common/domain-error';
import type { AttemptRecord, FailureDetails, FailureKind } from './llm.types';
import { ProviderName, Route, routeLabel } from './routes';

export { FAILURE_KINDS } from './llm.types';
export type { FailureDetails, FailureKind } from './llm.types';

/** The one error type a provider strategy throws. Its message never holds a provider body or a key. */
export class ProviderError extends Error {
  readonly provider: ProviderName;
  readonly model: string;
  readonly kind: FailureKind;
  readonly status?: number;
  readonly retryAfterMs?: number;
  /** Why the provider refused, when it said so in a structured field (for content_blocked). */
  readonly reason?: string;
  /** The stream ended without its end marker: cut, not finished by a limit. */
  readonly cutShort: boolean;
  /** The name of the provider key the call used (set by the strategy), for key-level failover. */
  key?: string;

  constructor(
    route: Route,
    details: FailureDetails,
    options?: { cause?: unknown; detail?: string },
  ) {
    const status = details.status === undefined ? '' : ` (${details.status})`;
    const detail = options?.detail ? `: ${options.detail}` : '';
    super(`${routeLabel(route)} ${details.kind}${status}${detail}`, { cause: options?.cause });
    this.name = 'ProviderError';
    this.provider = route.provider;
    this.model = route.model;
    this.kind = details.kind;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.reason = details.reason ?? options?.detail;
    this.cutShort = details.cutShort === true;
  }
}

/** Every route failed or the request deadline ran out: carries every attempt. */
export class AllRoutesFailedError extends DomainError {
  readonly code = 'all_routes_failed';
  readonly status = 503;
  constructor(
    readonly attempts: AttemptRecord[],
    /** When a client should try again, in seconds. */
    override readonly retryAfterSeconds: number,
    readonly reason: 'exhausted' | 'deadline' | 'no_route',
    /** Every route of the chain was open (or disabled) when the request gave up: retrying soon is pointless. */
    readonly allCircuitsOpen = false,
  ) {
    super(
      reason === 'deadline'
        ? 'The LLM request deadline passed before any route answered'
        : 'All LLM routes failed',
    );
    this.name = 'AllRoutesFailedError';
  }

  override publicDetails(): Record<string, unknown> {
    return {
      attempts: this.attempts.map(({ provider, model, outcome, status, durationMs }) => ({
        provider,
        model,
        outcome,
        ...(status === undefined ? {} : { status }),
        durationMs,
      })),
    };
  }
}

/**
 * A provider refused the caller's content under its content policy. Not sent on to other vendors (unless
 * LLM_FALLBACK_ON_CONTENT_FILTER=true): each of them would see a policy violation on the organisation's account.
 */
export class ContentFilteredError extends DomainError {
  readonly code = 'content_filter';
  readonly status = 400;
  constructor(
    readonly provider: ProviderName,
    readonly model: string,
    readonly reason: string,
    readonly attempts: AttemptRecord[],
  ) {
    super(`${provider}/${model} refused the request under its content policy (${reason})`);
    this.name = 'ContentFilteredError';
  }

  override publicDetails(): Record<string, unknown> {
    return { provider: this.provider, model: this.model, reason: this.reason };
  }
}

/**
 * Every route refused the request itself as invalid (a 400 for its content, or its length): no route is down, and
 * retrying the same request cannot help, so the caller gets a 400 with every attempt, not a 503.
 */
export class RequestRefusedError extends DomainError {
  readonly code = 'invalid_request';
  readonly status = 400;
  constructor(readonly attempts: AttemptRecord[]) {
    super(
      'Every LLM route refused this request as invalid (bad request or too long); change the request',
    );
    this.name = 'RequestRefusedError';
  }

  override publicDetails(): Record<string, unknown> {
    return { attempts: this.attempts };
  }
}

/** The caller went away (client disconnected); nobody is waiting for an answer. */
export class RequestAbortedError extends DomainError {
  readonly code = 'request_aborted';
  /** Nobody reads it; logged as nginx's "client closed request". */
  readonly status = 499;
  constructor() {
    super('The request was aborted by the caller');
    this.name = 'RequestAbortedError';
  }
}
