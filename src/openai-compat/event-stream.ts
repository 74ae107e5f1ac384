import type { Response } from 'express';
import type { RouteHeaders } from './chat-completions.service';

/** The route headers every answer carries (`x-llm-route`, `x-llm-attempts`, `x-llm-warning`). */
export function setRouteHeaders(response: Response, headers: RouteHeaders): void {
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
}

/** Starts a server-sent event stream: the route headers, 200, no caching or proxy buffering, headers sent now. */
export function startEventStream(response: Response, headers: RouteHeaders): void {
  setRouteHeaders(response, headers);
  response.status(200);
  response.setHeader('content-type', 'text/event-stream; charset=utf-8');
  response.setHeader('cache-control', 'no-cache');
  response.setHeader('x-accel-buffering', 'no');
  response.flushHeaders();
}
