import { Inject, Injectable, Logger, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../config/app.config';
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
 * One line per request at debug level (method, path, status, time) with credential headers redacted. Below debug
 * it does nothing at all, so the hot path pays for no serialisation it would throw away.
 */
@Injectable()
export class RequestLoggingMiddleware implements NestMiddleware {
  private readonly logger = new Logger('HTTP');
  private readonly enabled: boolean;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'logLevel'>) {
    this.enabled = config.logLevel === 'debug';
  }

  use(request: Request, response: Response, next: NextFunction): void {
    if (this.enabled) {
      const started = performance.now();
      response.once('finish', () => {
        const ms = Math.round(performance.now() - started);
        this.logger.debug(
          `${request.method} ${request.path} ${response.statusCode} ${ms}ms [request ${requestIdOf(request)}] headers=${JSON.stringify(redactHeaders(request.headers))}`,
        );
      });
    }
    next();
  }
}
