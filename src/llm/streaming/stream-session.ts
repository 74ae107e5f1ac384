import { Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { chargeSpend } from '../../common/spend-scope';
import { AttemptControl } from '../fallback/attempt';
import { ProviderError } from '../llm.errors';
import { LlmMetrics } from '../status/llm-metrics.service';
import { LlmCallMeta, LlmProvider, ProviderRequest, StreamEvent, TokenUsage } from '../llm.types';
import { Release } from '../fallback/provider-slots';
import { ChainState } from '../route-state/chain-state';
import { Route, routeLabel } from '../routes';

/** A stream committed to one route: its first content is in hand, the rest follows from `events`. */
export interface StreamSession {
  /** Route, fallback flag and the attempts made before the first content arrived. */
  meta: Omit<LlmCallMeta, 'usage'>;
  /**
   * The answer: text deltas and a final `end`. A failure after the first content throws `ProviderError` (the caller
   * must report it, not present a partial answer as complete); a stall longer than LLM_STREAM_IDLE_TIMEOUT_MS is a
   * `timeout`. Stop iterating early (or abort the caller's signal) to cancel the provider stream.
   */
  events: AsyncIterable<StreamEvent>;
}

/** A provider stream read up to its first content (or its end). */
export interface OpenedStream {
  buffered: StreamEvent[];
  iterator: AsyncIterator<StreamEvent>;
  control: AttemptControl;
}

/** Opens a provider stream and reads until its first content (or its end) under the attempt timeout. */
export async function openStream(
  route: Route,
  provider: LlmProvider,
  request: Omit<ProviderRequest, 'model'>,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<OpenedStream> {
  const control = new AttemptControl(route, callerSignal);
  control.arm(timeoutMs);
  const events = provider.stream(
    { ...request, model: route.model },
    { signal: control.signal, timeoutMs },
  );
  const iterator = events[Symbol.asyncIterator]();
  const buffered: StreamEvent[] = [];
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      buffered.push(next.value);
      // Committed at the first text, tool call or end.
      if (next.value.type !== 'text' || next.value.text.length > 0) break;
    }
  } catch (error) {
    throw control.classify(error);
  } finally {
    control.disarm();
  }
  return { buffered, iterator, control };
}

export interface CommittedStream {
  opened: OpenedStream;
  route: Route;
  index: number;
  state: ChainState;
  /** When the request started (clock.now()). */
  started: number;
  /** The provider slot, held until the stream ends. */
  release: Release;
}

/** What the rest of a stream needs from the service. */
export interface StreamContext {
  idleTimeoutMs: number;
  /** The whole stream request, from its start, may not take longer than this (LLM_STREAM_MAX_DURATION_MS). */
  maxDurationMs: number;
  /** Charged when the stream fails before its end (its usage is charged when it ends). */
  estimatedInputTokens: number;
  metrics: LlmMetrics;
  clock: Clock;
  logger: Logger;
  /** Record the request's outcome at the end (false when a continuing stream records it for all its segments). */
  recordRequest?: boolean;
}

/** The committed rest of a stream, under the idle timeout, with metrics and the circuit told at its end or failure. */
export async function* continueStream(
  stream: CommittedStream,
  context: StreamContext,
): AsyncIterable<StreamEvent> {
  const { opened, route, index, state, started, release } = stream;
  const { buffered, iterator, control } = opened;
  const { metrics, clock } = context;
  const recordRequest = context.recordRequest !== false;
  const complete = (usage: TokenUsage) => {
    metrics.attempt(route, 'success', clock.now() - started);
    metrics.usage(route, usage);
    chargeSpend(usage.inputTokens + usage.outputTokens);
    if (recordRequest) metrics.request('success', clock.now() - started);
  };
  let finished = false;
  let failed = false;
  try {
    for (const event of buffered) {
      yield event;
      if (event.type === 'end') {
        finished = true;
        complete(event.usage);
        return;
      }
    }
    for (;;) {
      const leftMs = context.maxDurationMs - (clock.now() - started);
      const bound = leftMs < context.idleTimeoutMs;
      control.arm(Math.max(1, Math.min(context.idleTimeoutMs, leftMs)));
      let next: IteratorResult<StreamEvent>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw control.classify(
          error,
          bound ? 'stream exceeded its maximum duration' : 'stream stalled',
        );
      } finally {
        control.disarm();
      }
      if (next.done) return;
      yield next.value;
      if (next.value.type === 'end') {
        finished = true;
        complete(next.value.usage);
        return;
      }
    }
  } catch (error) {
    if (error instanceof ProviderError) {
      failed = true;
      context.logger.warn(`${routeLabel(route)} failed mid-stream: ${error.kind}`);
      state.recordAttempt(index, error.kind);
      chargeSpend(context.estimatedInputTokens);
      metrics.attempt(route, error.kind, clock.now() - started);
      if (recordRequest) metrics.request('failed', clock.now() - started);
    }
    throw error;
  } finally {
    if (!finished) {
      control.cancel();
      // The consumer stopped reading before the end: the caller left, not a success.
      if (!failed) {
        metrics.attempt(route, 'client_aborted', clock.now() - started);
        if (recordRequest) metrics.request('client_aborted', clock.now() - started);
      }
    }
    release();
  }
}
