import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { errorAnswerIn, sendErrorAnswer } from '../common/http-exception.filter';
import { toOpenAiError } from '../common/openai-error';
import { AllRoutesFailedError } from '../llm';

/** Errors of the OpenAI-compatible controllers, in OpenAI's format (scoped with `@UseFilters`). */
@Catch()
export class OpenAiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(OpenAiExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const { response, answer } = errorAnswerIn(exception, host, this.logger);
    // The OpenAI SDKs honour x-should-retry: when every route's circuit is open, a client retry only adds load.
    if (exception instanceof AllRoutesFailedError && exception.allCircuitsOpen)
      answer.headers['x-should-retry'] = 'false';
    sendErrorAnswer(response, answer, toOpenAiError(answer, exception));
  }
}
