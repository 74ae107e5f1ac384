import { Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ErrorAnswer, toErrorAnswer } from '../common/error-answer';
import { EventStreamWriter } from '../common/event-stream';
import { LessonEvent } from './lesson-generation';
import { LessonInProgress, LessonView } from './lessons.service';

/** A comment line every so often keeps proxies from closing a quiet stream (a review can take a while). */
export const LESSON_HEARTBEAT_MS = 15_000;

/** `POST /lessons` answers as server-sent events when asked with `Accept: text/event-stream` or `?stream=true`. */
export function wantsEventStream(request: FastifyRequest): boolean {
  const query = request.query as Record<string, unknown> | undefined;
  return query?.stream === 'true' || (request.headers.accept ?? '').includes('text/event-stream');
}

type WireEvent =
  LessonEvent | { event: 'done'; data: LessonView } | { event: 'error'; data: unknown };

/**
 * The error body of the JSON API as an `error` event's data, with Retry-After as a field (an event cannot carry
 * headers once the stream has started).
 */
export function errorEventData(answer: ErrorAnswer): Record<string, unknown> {
  const retryAfter = answer.headers['Retry-After'];
  return { ...answer.body, ...(retryAfter ? { retryAfterSeconds: Number(retryAfter) } : {}) };
}

/**
 * Streams one lesson request: the generation's events so far and as they come (`stage`, `slide`), then `done` with
 * the stored lesson (the JSON the plain 201 returns) or `error` with the JSON API's error body. A caller that
 * disconnects, or stops reading, only stops listening; the generation goes on and is stored.
 */
export async function streamLesson(
  request: FastifyRequest,
  writer: EventStreamWriter,
  progress: LessonInProgress,
  requestId: string,
  logger: Logger,
): Promise<void> {
  writer.start({}, 200);
  const send = ({ event, data }: WireEvent) => writer.send(data, event);
  // The generation's listeners are called synchronously: the writer queues (boundedly) behind a slow reader.
  const unsubscribe = progress.generation?.subscribe((event) => void send(event));
  writer.signal.addEventListener('abort', () => unsubscribe?.());
  try {
    await send({ event: 'done', data: await progress.done });
  } catch (error) {
    const answer = toErrorAnswer(error, request, requestId, logger);
    await send({ event: 'error', data: errorEventData(answer) });
  } finally {
    unsubscribe?.();
    await writer.end();
  }
}
