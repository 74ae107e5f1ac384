import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { EventStreamWriter } from '../common/event-stream';
import { errorAnswerIn, sendErrorAnswer } from '../common/http-exception.filter';
import { errorEventData, wantsEventStream } from './lesson-stream';

/**
 * Errors of the lessons controller: the JSON error body as usual, or, for a caller that asked for server-sent
 * events, the same body as an `error` event (with the HTTP status and Retry-After header while they can still be
 * sent), so an event-stream client reads 400s, 404s and 503s the way it reads the rest.
 */
const ERROR_EVENT_LIMITS = { drainTimeoutMs: 5_000, maxQueuedBytes: 64 * 1024 };

@Catch()
export class LessonsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(LessonsExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const { request, response, answer } = errorAnswerIn(exception, host, this.logger);
    if (!wantsEventStream(request)) {
      sendErrorAnswer(response, answer, answer.body);
      return;
    }
    // One small event: the writer's usual bounds, without the stream metrics of a generation's stream.
    const writer = new EventStreamWriter(response.raw, ERROR_EVENT_LIMITS);
    if (!response.raw.headersSent) {
      response.hijack();
      writer.start(answer.headers, answer.body.statusCode);
    }
    void writer.send(errorEventData(answer), 'error').then(() => writer.end());
  }
}
