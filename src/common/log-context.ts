import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';

/** The request a log line belongs to, wherever in the request's async work it is written. */
const requests = new AsyncLocalStorage<{ requestId: string }>();

export function withRequestId<T>(requestId: string, work: () => T): T {
  return requests.run({ requestId }, work);
}

/** Fields that tie a log line to its request and its trace (when tracing is on and a span is active). */
export function logCorrelation(): { requestId?: string; traceId?: string } {
  const requestId = requests.getStore()?.requestId;
  const spanContext = trace.getActiveSpan()?.spanContext();
  const traceId =
    spanContext && spanContext.traceId !== '00000000000000000000000000000000'
      ? spanContext.traceId
      : undefined;
  return { ...(requestId ? { requestId } : {}), ...(traceId ? { traceId } : {}) };
}
