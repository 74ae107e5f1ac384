import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestIdOf } from './request-id';

/** What a handler passes down to the LLM layer: the request id for logs and a signal that fires if the client leaves. */
export interface RequestContext {
  requestId: string;
  signal: AbortSignal;
}

export const RequestCtx = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RequestContext => {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const response = http.getResponse<FastifyReply>().raw;
    const controller = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) controller.abort();
    });
    return { requestId: requestIdOf(request), signal: controller.signal };
  },
);
