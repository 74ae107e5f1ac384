import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet, { HelmetOptions } from 'helmet';

type HeaderChange = { name: string; value: string | undefined };

/**
 * What helmet does to every answer with these options, recorded once at boot by running it against a recording
 * response. With the content security policy off, helmet reads nothing from the request: it sets the same headers
 * on every answer and removes `X-Powered-By`.
 */
export function recordHelmetHeaders(options: HelmetOptions): HeaderChange[] {
  const changes: HeaderChange[] = [];
  const recorder = {
    setHeader: (name: string, value: string) => changes.push({ name, value: String(value) }),
    removeHeader: (name: string) => changes.push({ name, value: undefined }),
  };
  let completed = false;
  helmet(options)({} as never, recorder as never, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error('helmet failed');
    completed = true;
  });
  // Helmet's own middlewares are synchronous; if a future one is not, the recorded list would be partial.
  if (!completed)
    throw new Error('helmet did not finish synchronously: its headers cannot be recorded');
  return changes;
}

/**
 * Helmet's security headers as one middleware: the list recorded at boot is applied per request. Same headers as
 * `app.use(helmet(options))`, without its chain of eleven middlewares on every request.
 */
export function securityHeaders(options: HelmetOptions): RequestHandler {
  const changes = recordHelmetHeaders(options);
  return (_request: Request, response: Response, next: NextFunction) => {
    for (const { name, value } of changes) {
      if (value === undefined) response.removeHeader(name);
      else response.setHeader(name, value);
    }
    next();
  };
}
