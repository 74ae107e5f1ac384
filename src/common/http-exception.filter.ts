import { ArgumentsHost, Catch, ExceptionFilter, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorAnswer, toErrorAnswer } from './error-answer';
import { isGatewayPath, toOpenAiError } from './openai-error';
import { pathOf, requestIdOf } from './request-id';
import { noRouteMatched, servedEndpoints } from './unknown-endpoint';

/** The request, the response and the error as an answer: what every exception filter starts from. */
export function errorAnswerIn(
  exception: unknown,
  host: ArgumentsHost,
  logger: Logger,
): { request: FastifyRequest; response: FastifyReply; answer: ErrorAnswer } {
  const http = host.switchToHttp();
  const request = http.getRequest<FastifyRequest>();
  const response = http.getResponse<FastifyReply>();
  return {
    request,
    response,
    answer: toErrorAnswer(exception, request, requestIdOf(request), logger),
  };
}

/** Sends an answer unless the response already started (a stream): then it only ends it. */
export function sendErrorAnswer(response: FastifyReply, answer: ErrorAnswer, body: unknown): void {
  if (response.raw.headersSent || response.sent) {
    if (!response.raw.writableEnded) response.raw.end();
    return;
  }
  void response
    .status(answer.body.statusCode)
    .headers(answer.headers)
    .type('application/json; charset=utf-8')
    .send(body);
}

/**
 * The global filter: every error becomes the service's JSON error body, by the error's own HTTP contract
 * (`toErrorAnswer`), or, under /v1, the same answer in OpenAI's shape (errors raised before routing, such as a body
 * refused by the parser or a key refused before the body was read, never reach the gateway's own filter).
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpExceptionFilter.name);

  /** `listEndpoints`: a 404 for an unknown path names the served endpoints (only for a service without keys). */
  constructor(private readonly options: { listEndpoints: boolean } = { listEndpoints: true }) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { request, response, answer } = errorAnswerIn(exception, host, this.logger);
    if (exception instanceof NotFoundException && noRouteMatched(request))
      return this.unknownEndpoint(request, response, answer);
    const body = isGatewayPath(pathOf(request)) ? toOpenAiError(answer, exception) : answer.body;
    sendErrorAnswer(response, answer, body);
  }

  /**
   * No endpoint at this path, with the ones there are when the service is open. Under /v1 (the OpenAI-compatible API)
   * in OpenAI's error shape, since an OpenAI client reads `error.message`.
   */
  private unknownEndpoint(
    request: FastifyRequest,
    response: FastifyReply,
    answer: ErrorAnswer,
  ): void {
    const path = pathOf(request);
    const gateway = isGatewayPath(path);
    const endpoints = this.options.listEndpoints
      ? servedEndpoints(request, gateway ? '/v1' : '')
      : [];
    const message =
      `No endpoint ${request.method} ${path}.` +
      (endpoints.length > 0 ? ` This service serves: ${endpoints.join(', ')}` : '');
    const body = gateway
      ? { error: { message, type: 'invalid_request_error', param: null, code: 'unknown_endpoint' } }
      : { ...answer.body, message, ...(endpoints.length > 0 ? { endpoints } : {}) };
    sendErrorAnswer(response, answer, body);
  }
}
