import { randomUUID } from 'node:crypto';
import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { withRequestId } from './log-context';

const REQUEST_ID = Symbol('requestId');
const INCOMING_ID = /^[A-Za-z0-9._-]{1,64}$/;

type WithRequestId = Request & { [REQUEST_ID]?: string };

/** Gives every request an id (a sane incoming `x-request-id`, else a new uuid) and echoes it back. */
@Injectable()
export class RequestIdMiddleware implements NestMiddleware {
  use(request: Request, response: Response, next: NextFunction): void {
    const incoming = request.header('x-request-id');
    const id = incoming && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    (request as WithRequestId)[REQUEST_ID] = id;
    response.setHeader('x-request-id', id);
    // Everything the request does runs with its id in the log context.
    withRequestId(id, next);
  }
}

export function requestIdOf(request: Request): string {
  return (request as WithRequestId)[REQUEST_ID] ?? 'unknown';
}
