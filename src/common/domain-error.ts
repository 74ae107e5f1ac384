/** Base of the errors the HTTP layer maps to responses; the one exception filter switches on `code`. */
export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
}

export type DomainErrorCode =
  'all_routes_failed' | 'not_found' | 'request_aborted' | 'lesson_rules_failed';

export class NotFoundError extends DomainError {
  readonly code = 'not_found' as const;
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}
