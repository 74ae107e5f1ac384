import type { FastifyInstance, FastifyRequest } from 'fastify';

const endpoints = new WeakMap<object, Set<string>>();

/** Records every endpoint the app registers (`GET /health/live`, …), so a 404 can name them and never go stale. */
export function trackEndpoints(fastify: FastifyInstance): void {
  const served = new Set<string>();
  endpoints.set(fastify, served);
  fastify.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) if (method !== 'HEAD') served.add(`${method} ${route.url}`);
  });
}

/** Every endpoint the app registered (`METHOD /path`, with `:param`s), sorted. */
export function registeredEndpoints(fastify: object): string[] {
  return [...(endpoints.get(fastify) ?? [])].sort();
}

/** The endpoints the app serves under `prefix`, sorted. */
export function servedEndpoints(request: FastifyRequest, prefix = ''): string[] {
  const served = endpoints.get(request.server) ?? new Set<string>();
  return [...served].filter((endpoint) => endpoint.split(' ')[1]?.startsWith(prefix)).sort();
}

/** Whether a 404 is the router's own (no endpoint matched) rather than a handler's "not found" (no such record). */
export function noRouteMatched(request: FastifyRequest): boolean {
  return request.is404;
}
