import { Injectable, Logger, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { requestIdOf } from './request-id.middleware';

/** Headers that carry credentials: logged as [redacted], never in any form. */
const SECRET_HEADERS = new Set([
  'authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'set-cookie',
  'proxy-authorization',
]);

export function redactHeaders(headers: Request['headers']): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      SECRET_HEADERS.has(name.toLowerCase())
        ? '[redacted]'
        : Array.isArray(value)
          ? value.join(', ')
          : String(value ?? ''),
    ]),
  );
}

/**
 * One line per request at debug level (method, path, status, time) with credential headers redacted. Applied only
 * when the log level is debug (see AppModule), so below it the hot path pays for nothing.
 */
@Injectable()
export class RequestLoggingMiddleware implements NestMiddleware {
  private readonly logger = new Logger('HTTP');

  use(request: Request, response: Response, next: NextFunction): void {
    const started = performance.now();
    response.once('finish', () => {
      const ms = Math.round(performance.now() - started);
      this.logger.debug(
        `${request.method} ${request.path} ${response.statusCode} ${ms}ms [request ${requestIdOf(request)}] headers=${JSON.stringify(redactHeaders(request.headers))}`,
      );
    });
    next();
  }
}
