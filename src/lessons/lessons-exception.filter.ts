import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { errorAnswerIn, sendErrorAnswer } from '../common/http-exception.filter';
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
    const { request, response, answer } = errorAnswerIn(exception, host, this.logger);
    if (!wantsEventStream(request)) {
      sendErrorAnswer(response, answer, answer.body);
      return;
    }
    if (!response.headersSent) {
      for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
      startEventStream(response, answer.body.statusCode);
    }
    writeEvent(response, { event: 'error', data: errorEventData(answer) });
    response.end();
  }
}
