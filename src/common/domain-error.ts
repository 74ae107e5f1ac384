/**
 * Base of the errors the HTTP layer turns into answers. Each one carries its own HTTP contract: the status, an
 * optional Retry-After, and the details that are safe to show a caller. The exception filter maps them generically
 * and imports no feature.
 */
export abstract class DomainError extends Error {
  /** A stable machine-readable code (`all_routes_failed`, `not_found`, …). */
  abstract readonly code: string;
  abstract readonly status: number;
  /** Sent as `Retry-After` (seconds) when set. */
  readonly retryAfterSeconds?: number;

  /** Fields added to the error body beside `statusCode`, `error` and `message`; never secrets or provider bodies. */
  publicDetails(): Record<string, unknown> {
    return {};
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'not_found';
  readonly status = 404;
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}
