import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { toErrorAnswer } from '../common/error-answer';
import { sendErrorAnswer } from '../common/http-exception.filter';
import { requestIdOf } from '../common/request-id.middleware';
import { errorEventData, startEventStream, wantsEventStream, writeEvent } from './lesson-stream';

/**
 * Errors of the lessons controller: the JSON error body as usual, or, for a caller that asked for server-sent
 * events, the same body as an `error` event (with the HTTP status and Retry-After header while they can still be
 * sent), so an event-stream client reads 400s, 404s and 503s the way it reads the rest.
 */
@Catch()
export class LessonsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(LessonsExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const requestId = requestIdOf(request);
    if (!wantsEventStream(request)) {
      const answer = toErrorAnswer(exception, request, requestId, this.logger);
      sendErrorAnswer(response, answer, answer.body);
      return;
    }
    const { status, headers, data } = errorEventData(exception, request, requestId, this.logger);
    if (!response.headersSent) {
      for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
      startEventStream(response, status);
    }
    writeEvent(response, { event: 'error', data });
    response.end();
  }
}
