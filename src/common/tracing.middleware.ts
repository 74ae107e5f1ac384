import { Injectable, NestMiddleware } from '@nestjs/common';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { requestIdOf } from './request-id.middleware';

const tracer = trace.getTracer('resilient-llm-backend/http');

/**
 * One server span per HTTP request (applied only when tracing is on, see AppModule): the LLM attempts it makes become its children,
 * and fallbacks and sticky switches become its events. An incoming W3C `traceparent` is continued.
 */
@Injectable()
export class TracingMiddleware implements NestMiddleware {
  use(request: Request, response: Response, next: NextFunction): void {
    const parent = propagation.extract(context.active(), request.headers);
    const span = tracer.startSpan(
      `${request.method} ${request.path}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': request.path,
          'request.id': requestIdOf(request),
        },
      },
      parent,
    );
    response.once('close', () => {
      const route = (request.route as { path?: string } | undefined)?.path;
      if (route) {
        span.updateName(`${request.method} ${request.baseUrl}${route}`);
        span.setAttribute('http.route', `${request.baseUrl}${route}`);
      }
      span.setAttribute('http.response.status_code', response.statusCode);
      if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  }
}
