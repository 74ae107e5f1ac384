import { HttpException, Logger } from '@nestjs/common';
import { DomainError } from './domain-error';
import { pathOf } from './request-id';

/** The service's error body: `{statusCode, error, message, ...details}`; 5xx answers carry the request id. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  [extra: string]: unknown;
}

export interface ErrorAnswer {
  body: ErrorBody;
  headers: Record<string, string>;
  /** The domain error's code, when there is one (`all_routes_failed`, …). */
  code?: string;
}

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Errors from body parsing (malformed JSON, too large) carry an http-errors status and are safe to expose. */
function isExposedHttpError(
  error: unknown,
): error is { status: number; message: string; expose: true } {
  const candidate = error as { status?: unknown; expose?: unknown };
  return (
    typeof candidate?.status === 'number' && candidate.expose === true && candidate.status < 500
  );
}

/**
 * The domain error behind a library's wrapper (an ORM wraps a driver call's failure in its own error, with the
 * original as `cause`): it answers by its own contract.
 */
function domainCause(exception: unknown): DomainError | undefined {
  let current: unknown = exception;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    if (current instanceof DomainError) return current;
    if (current instanceof HttpException) return undefined;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * What a log may say of an unexpected error. A failed database statement is logged by the database's own cause
 * (its code and message), never by the statement's parameters, which hold user input and generated content.
 */
export function loggable(exception: unknown): string {
  if (!(exception instanceof Error)) return String(exception);
  if ('params' in exception && 'query' in exception) {
    const cause = exception.cause as { code?: unknown; message?: unknown } | undefined;
    const code = typeof cause?.code === 'string' ? ` [${cause.code}]` : '';
    const message = typeof cause?.message === 'string' ? cause.message : 'unknown cause';
    return `${exception.name}: a database statement failed${code}: ${message}`;
  }
  return exception.stack ?? `${exception.name}: ${exception.message}`;
}

/**
 * Any thrown value as an HTTP answer: domain errors by their own contract, Nest's HttpExceptions as they are,
 * body-parser errors by their status, everything else a generic 500 with the request id and no details (logged).
 * Shared by the global filter and the OpenAI-format filter, which only reshape the body.
 */
export function toErrorAnswer(
  exception: unknown,
  request: { method: string; url?: string },
  requestId: string,
  logger: Logger,
): ErrorAnswer {
  exception = domainCause(exception) ?? exception;
  if (exception instanceof DomainError) {
    const body: ErrorBody = {
      statusCode: exception.status,
      error: REASON[exception.status] ?? exception.name,
      message: exception.message,
      ...exception.publicDetails(),
      ...(exception.status >= 500 ? { requestId } : {}),
    };
    const headers: Record<string, string> =
      exception.retryAfterSeconds === undefined
        ? {}
        : { 'Retry-After': String(exception.retryAfterSeconds) };
    return { body, headers, code: exception.code };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const payload = exception.getResponse();
    const error = REASON[status] ?? exception.name;
    const body: ErrorBody =
      typeof payload === 'object'
        ? { statusCode: status, error, message: exception.message, ...payload }
        : { statusCode: status, error, message: payload };
    if (status >= 500)
      logger.error(
        `${request.method} ${pathOf(request)} failed [request ${requestId}]`,
        exception.stack,
      );
    return { body, headers: {} };
  }
  if (isExposedHttpError(exception)) {
    const status = exception.status;
    return {
      body: {
        statusCode: status,
        error: REASON[status] ?? 'Bad Request',
        message: exception.message,
      },
      headers: {},
    };
  }
  logger.error(
    `Unhandled error on ${request.method} ${pathOf(request)} [request ${requestId}]`,
    loggable(exception),
  );
  return {
    body: { statusCode: 500, error: REASON[500], message: 'Internal server error', requestId },
    headers: {},
  };
}
