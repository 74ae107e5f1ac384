import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

const REQUEST_ID = Symbol('requestId');
const INCOMING_ID = /^[A-Za-z0-9._-]{1,64}$/;

type WithRequestId = IncomingMessage & { [REQUEST_ID]?: string };

/** A request as the service's code sees it: the framework's, or Node's own underneath it. */
export type AnyRequest = FastifyRequest | IncomingMessage;

const rawOf = (request: AnyRequest): WithRequestId => ('raw' in request ? request.raw : request);

/** Gives the request an id (a sane incoming `x-request-id`, else a new uuid) and echoes it back. */
export function assignRequestId(request: FastifyRequest, reply: FastifyReply): string {
  const incoming = request.headers['x-request-id'];
  const id = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
  rawOf(request)[REQUEST_ID] = id;
  reply.raw.setHeader('x-request-id', id);
  return id;
}

export function requestIdOf(request: AnyRequest): string {
  return rawOf(request)[REQUEST_ID] ?? 'unknown';
}

/** The request's path, without its query. */
export function pathOf(request: { url?: string }): string {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
