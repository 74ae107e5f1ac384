import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientIdOf } from './api-key.guard';
import { requestIdOf } from './request-id';

/**
 * What a handler passes down: the request id for logs, a signal that fires if the client leaves, and who owns what
 * the request creates (the validated key's client id; undefined on a service without keys, where all is shared).
 */
export interface RequestContext {
  requestId: string;
  signal: AbortSignal;
  owner: string | undefined;
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
    const client = clientIdOf(request);
    return {
      requestId: requestIdOf(request),
      signal: controller.signal,
      owner: client.startsWith('key:') ? client : undefined,
    };
  },
);
