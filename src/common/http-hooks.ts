import { AsyncResource } from 'node:async_hooks';
import type { IncomingHttpHeaders } from 'node:http';
import { Logger } from '@nestjs/common';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setClientId } from './api-key.guard';
import { AuthGate } from './auth-gate';
import { withRequestId } from './log-context';
import { assignRequestId, pathOf } from './request-id';
import { applyHeaderChanges, HeaderChange } from './security-headers';

/** Headers the debug request log shows; every other header (credentials of any name) is left out. */
const LOGGED_HEADERS = [
  'host',
  'user-agent',
  'accept',
  'accept-encoding',
  'content-type',
  'content-length',
  'origin',
  'x-request-id',
  'traceparent',
];

export function loggableHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of LOGGED_HEADERS) {
    const value = headers[name];
    if (value !== undefined) kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

export interface HttpHookOptions {
  /** Headers set on every answer (helmet's, recorded once at boot). */
  securityHeaders: readonly HeaderChange[];
  /** One server span per request (when tracing is configured). */
  tracing: boolean;
  /** One log line per request at debug level. */
  requestLog: boolean;
}

const CONTEXT = Symbol('requestContext');
type WithContext = FastifyRequest & { [CONTEXT]?: AsyncResource };

const tracer = trace.getTracer('resilient-llm-backend/http');
const httpLogger = new Logger('HTTP');

/**
 * What happens to every request before anything reads its body: an id, the security headers (so every answer, the
 * body parser's errors included, carries both), the server span and the debug log line when they are on. The
 * request's log context (its id, its span) is captured here and restored for the handler (`preHandler`), since
 * reading the body leaves the async context the request came in with.
 */
export function registerHttpHooks(fastify: FastifyInstance, options: HttpHookOptions): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const id = assignRequestId(request, reply);
    applyHeaderChanges(reply.raw, options.securityHeaders);
    if (options.requestLog) logWhenFinished(request, reply, id);
    const capture = () => {
      (request as WithContext)[CONTEXT] = new AsyncResource('http-request');
      done();
    };
    if (options.tracing) withRequestId(id, () => traced(request, reply, id, capture));
    else withRequestId(id, capture);
  });
  fastify.addHook('preHandler', (request, _reply, done) => {
    const captured = (request as WithContext)[CONTEXT];
    if (captured) captured.runInAsyncScope(done);
    else done();
  });
}

/** One server span per request, continuing an incoming W3C `traceparent`; `next` runs inside it. */
function traced(request: FastifyRequest, reply: FastifyReply, id: string, next: () => void): void {
  const path = pathOf(request);
  const parent = propagation.extract(context.active(), request.headers);
  const span = tracer.startSpan(
    `${request.method} ${path}`,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'url.path': path, 'request.id': id },
    },
    parent,
  );
  reply.raw.once('close', () => {
    const route = request.routeOptions.url;
    if (route) {
      span.updateName(`${request.method} ${route}`);
      span.setAttribute('http.route', route);
    }
    span.setAttribute('http.response.status_code', reply.raw.statusCode);
    if (reply.raw.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  context.with(trace.setSpan(parent, span), next);
}

function logWhenFinished(request: FastifyRequest, reply: FastifyReply, id: string): void {
  const started = performance.now();
  reply.raw.once('finish', () => {
    const ms = Math.round(performance.now() - started);
    httpLogger.debug(
      `${request.method} ${pathOf(request)} ${reply.raw.statusCode} ${ms}ms [request ${id}] headers=${JSON.stringify(loggableHeaders(request.headers))}`,
    );
  });
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Requests that carry a body (every one of them needs a key) are checked before a byte of the body is read: a missing
 * or wrong key costs the service a header check, never a parse, and repeated failures from one address get 429.
 */
export function checkKeyBeforeBody(fastify: FastifyInstance, gate: AuthGate): void {
  if (gate.open) return;
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (!BODY_METHODS.has(request.method)) return done();
    try {
      setClientId(request, gate.verify(request.headers, request.ip));
      done();
    } catch (error) {
      done(error as Error);
    }
  });
}
