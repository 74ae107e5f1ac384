import { Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorAnswer, toErrorAnswer } from '../common/error-answer';
import { LessonEvent } from './lesson-generation';
import { LessonInProgress, LessonView } from './lessons.service';

/** A comment line every so often keeps proxies from closing a quiet stream (a review can take a while). */
const HEARTBEAT_MS = 15_000;

/** `POST /lessons` answers as server-sent events when asked with `Accept: text/event-stream` or `?stream=true`. */
export function wantsEventStream(request: Request): boolean {
  return (
    request.query.stream === 'true' || (request.headers.accept ?? '').includes('text/event-stream')
  );
}

type WireEvent =
  LessonEvent | { event: 'done'; data: LessonView } | { event: 'error'; data: unknown };

function frame({ event, data }: WireEvent): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The error body of the JSON API as an `error` event's data, with Retry-After as a field (an event cannot carry
 * headers once the stream has started).
 */
export function errorEventData(answer: ErrorAnswer): Record<string, unknown> {
  const retryAfter = answer.headers['Retry-After'];
  return { ...answer.body, ...(retryAfter ? { retryAfterSeconds: Number(retryAfter) } : {}) };
}

export function startEventStream(response: Response, status = 200): void {
  response.status(status);
  response.setHeader('content-type', 'text/event-stream; charset=utf-8');
  response.setHeader('cache-control', 'no-cache, no-transform');
  response.setHeader('x-accel-buffering', 'no');
  response.flushHeaders();
}

export function writeEvent(response: Response, event: WireEvent): void {
  if (response.writableEnded || response.destroyed) return;
  response.write(frame(event));
}

/**
 * Streams one lesson request: the generation's events so far and as they come (`stage`, `slide`), then `done` with
 * the stored lesson (the JSON the plain 201 returns) or `error` with the JSON API's error body. A caller that
 * disconnects only stops listening; the generation goes on and is stored.
 */
export async function streamLesson(
  request: Request,
  response: Response,
  progress: LessonInProgress,
  requestId: string,
  logger: Logger,
): Promise<void> {
  startEventStream(response);
  const unsubscribe = progress.generation?.subscribe((event) => writeEvent(response, event));
  const heartbeat = setInterval(() => {
    if (!response.writableEnded && !response.destroyed) response.write(': keep-alive\n\n');
  }, HEARTBEAT_MS).unref();
  response.once('close', () => {
    unsubscribe?.();
    clearInterval(heartbeat);
  });
  try {
    writeEvent(response, { event: 'done', data: await progress.done });
  } catch (error) {
    const answer = toErrorAnswer(error, request, requestId, logger);
    writeEvent(response, { event: 'error', data: errorEventData(answer) });
  } finally {
    unsubscribe?.();
    clearInterval(heartbeat);
    if (!response.writableEnded) response.end();
  }
}
