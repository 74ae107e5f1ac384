import type { Request } from 'express';

interface RouterLayer {
  route?: { path?: unknown; methods?: Record<string, boolean> };
}

/** Every endpoint the app serves (`GET /health/live`, …), read from the router itself, so it never goes stale. */
export function servedEndpoints(request: Request, prefix = ''): string[] {
  const router = (request.app as unknown as { router?: { stack?: RouterLayer[] } }).router;
  const endpoints = new Set<string>();
  for (const layer of router?.stack ?? []) {
    const path = layer.route?.path;
    if (typeof path !== 'string' || !path.startsWith(prefix)) continue;
    for (const [method, on] of Object.entries(layer.route?.methods ?? {}))
      if (on && method !== '_all') endpoints.add(`${method.toUpperCase()} ${path}`);
  }
  return [...endpoints].sort();
}

/** Whether a 404 is the router's own (no endpoint matched) rather than a handler's "not found" (no such record). */
export function noRouteMatched(request: Request): boolean {
  return (request as { route?: unknown }).route === undefined;
}
