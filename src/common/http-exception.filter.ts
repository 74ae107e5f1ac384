import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorAnswer, toErrorAnswer } from './error-answer';
import { requestIdOf } from './request-id.middleware';

/** The request, the response and the error as an answer: what every exception filter starts from. */
export function errorAnswerIn(
  exception: unknown,
  host: ArgumentsHost,
  logger: Logger,
): { request: Request; response: Response; answer: ErrorAnswer } {
  const http = host.switchToHttp();
  const request = http.getRequest<Request>();
  const response = http.getResponse<Response>();
  return {
    request,
    response,
    answer: toErrorAnswer(exception, request, requestIdOf(request), logger),
  };
}

/** Sends an answer unless the response already started (a stream): then it only ends it. */
export function sendErrorAnswer(response: Response, answer: ErrorAnswer, body: unknown): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
  response.status(answer.body.statusCode).json(body);
}

/**
 * The global filter: every error becomes the service's JSON error body, by the error's own HTTP contract
 * (`toErrorAnswer`). It knows no feature; the OpenAI-compatible controllers scope a filter of their own.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const { response, answer } = errorAnswerIn(exception, host, this.logger);
    sendErrorAnswer(response, answer, answer.body);
  }
}
