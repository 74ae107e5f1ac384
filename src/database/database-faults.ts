import { DatabaseError } from 'pg';
import { DomainError } from '../common/domain-error';

/** How long a client should wait before trying again after the database was unreachable. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The database cannot be reached right now (refused, reset, timed out, shutting down, too many connections):
 * 503 with Retry-After, never a 500. The service resumes by itself when it is back.
 */
export class DatabaseUnavailableError extends DomainError {
  readonly code = 'database_unavailable';
  readonly status = 503;
  override readonly retryAfterSeconds = RETRY_AFTER_SECONDS;
  constructor(options?: { cause?: unknown }) {
    super('The database is unreachable right now; try again shortly', options);
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * SQLSTATE classes and codes that mean "the server is not available" rather than "this statement is wrong":
 * connection exceptions (08), admin or crash shutdown and "cannot connect now" (57P01–57P03), a statement
 * cancelled by statement_timeout (57014), too many connections (53300).
 */
function unavailableState(code: string | undefined): boolean {
  if (code === undefined) return false;
  return code.startsWith('08') || code.startsWith('57P') || code === '57014' || code === '53300';
}

/**
 * Whether a pg failure is the server being away rather than the statement: every error that is not a server-sent
 * `DatabaseError` came from the connection (refused, reset, terminated, connect or read timeout), and a few server
 * codes say the same. Typed checks only, never the message.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (error instanceof DatabaseError) return unavailableState(error.code);
  // Programming errors are bugs, not outages. (Socket errors may come from another realm under Jest, so no
  // `instanceof Error` here: any other thrown object from a pool call is the connection's.)
  if (error instanceof TypeError || error instanceof RangeError) return false;
  return typeof error === 'object' && error !== null;
}

/** The error a pool call rejects with: connection faults become DatabaseUnavailableError, SQL errors stay. */
export function classifyDatabaseError(error: unknown): unknown {
  if (error instanceof DatabaseUnavailableError) return error;
  return isDatabaseUnavailable(error) ? new DatabaseUnavailableError({ cause: error }) : error;
}
