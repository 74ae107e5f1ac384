import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { LessonRulesError } from '../lessons/lesson-pipeline.service';
import { AllRoutesFailedError } from '../llm/llm.errors';
import { DomainError } from './domain-error';
import { requestIdOf } from './request-id.middleware';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  [extra: string]: unknown;
}

/** Retry-After when even the fallback lesson broke the rules: a fresh generation may well pass. */
const RULES_RETRY_AFTER_SECONDS = 5;

const REASON: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Routes that speak the OpenAI protocol answer errors in OpenAI's format. */
const OPENAI_COMPATIBLE_PREFIX = '/v1/';

function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

/** The field a validation message is about: `messages.0.role must be…`, `property tools should not exist`. */
function paramOf(message: string | undefined): string | null {
  if (!message) return null;
  const unknown = /^(?:(\S+)\.)?property (\S+) should not exist/.exec(message);
  if (unknown) return unknown[1] ? `${unknown[1]}.${unknown[2]}` : unknown[2];
  return /^([A-Za-z_][\w.[\]]*)\s/.exec(message)?.[1] ?? null;
}

/**
 * The same answer in OpenAI's error shape: `{error: {message, type, param, code}}`, plus the attempts of an
 * all-routes failure. `param`/`code` come from the exception when it carries them (OpenAiRequestError).
 */
function toOpenAiError(body: ErrorBody, exception: unknown): { error: Record<string, unknown> } {
  const carried = (exception ?? {}) as { param?: unknown; code?: unknown };
  const messages = Array.isArray(body.message) ? body.message : [body.message];
  const param =
    typeof carried.param === 'string'
      ? carried.param
      : body.statusCode === 400
        ? paramOf(messages[0])
        : null;
  const code =
    typeof carried.code === 'string'
      ? carried.code
      : body.statusCode === 503
        ? 'all_routes_failed'
        : null;
  return {
    error: {
      message: messages.join('; '),
      type: openAiErrorType(body.statusCode),
      param,
      code,
      ...(body.attempts ? { attempts: body.attempts } : {}),
      ...(body.requestId ? { request_id: body.requestId } : {}),
    },
  };
}

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
 * The one place where errors become HTTP answers: domain errors by code, Nest's HttpExceptions as they are,
 * body-parser errors by their status, and everything else as a generic 500 with the request id and no details.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const requestId = requestIdOf(request);
    const { body, headers } = this.toAnswer(exception, requestId, request);
    if (response.headersSent) {
      response.end();
      return;
    }
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    const openAiStyle = request.path.startsWith(OPENAI_COMPATIBLE_PREFIX);
    response.status(body.statusCode).json(openAiStyle ? toOpenAiError(body, exception) : body);
  }

  private toAnswer(
    exception: unknown,
    requestId: string,
    request: Request,
  ): { body: ErrorBody; headers: Record<string, string> } {
    if (exception instanceof DomainError) return this.fromDomainError(exception, requestId);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const payload = exception.getResponse();
      const body: ErrorBody =
        typeof payload === 'object'
          ? {
              statusCode: status,
              error: REASON[status] ?? exception.name,
              message: exception.message,
              ...payload,
            }
          : { statusCode: status, error: REASON[status] ?? exception.name, message: payload };
      if (status >= 500)
        this.logger.error(
          `${request.method} ${request.path} failed [request ${requestId}]`,
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
    this.logger.error(
      `Unhandled error on ${request.method} ${request.path} [request ${requestId}]`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return {
      body: { statusCode: 500, error: REASON[500], message: 'Internal server error', requestId },
      headers: {},
    };
  }

  private fromDomainError(
    error: DomainError,
    requestId: string,
  ): { body: ErrorBody; headers: Record<string, string> } {
    switch (error.code) {
      case 'all_routes_failed': {
        const failed = error as AllRoutesFailedError;
        return {
          body: {
            statusCode: 503,
            error: REASON[503],
            message: failed.message,
            attempts: failed.attempts.map(({ provider, model, outcome, status, durationMs }) => ({
              provider,
              model,
              outcome,
              ...(status === undefined ? {} : { status }),
              durationMs,
            })),
            requestId,
          },
          headers: { 'Retry-After': String(failed.retryAfterSeconds) },
        };
      }
      case 'lesson_rules_failed': {
        const failed = error as LessonRulesError;
        return {
          body: {
            statusCode: 503,
            error: REASON[503],
            message: failed.message,
            problems: failed.problems,
            calls: failed.calls.map(({ step, provider, model }) => ({ step, provider, model })),
            requestId,
          },
          headers: { 'Retry-After': String(RULES_RETRY_AFTER_SECONDS) },
        };
      }
      case 'not_found':
        return {
          body: { statusCode: 404, error: REASON[404], message: error.message },
          headers: {},
        };
      case 'request_aborted':
        return {
          body: { statusCode: 499, error: REASON[499], message: error.message },
          headers: {},
        };
    }
  }
}
