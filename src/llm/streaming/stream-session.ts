import { Clock } from '../../common/clock';
import { AttemptControl } from '../fallback/attempt';
import { Release } from '../fallback/provider-slots';
import { AttemptEntry } from '../fallback/request-ledger';
import { ProviderError } from '../llm.errors';
import { LlmCallMeta, LlmProvider, ProviderRequest, StreamEvent } from '../llm.types';
import { incompleteStream } from '../providers/finish';
import { Route } from '../routes';

/** A stream committed to one route: its first content is in hand, the rest follows from `events`. */
export interface StreamSession {
  /** Route, fallback flag and the attempts made before the first content arrived. */
  meta: Omit<LlmCallMeta, 'usage'>;
  /**
   * The answer: text deltas and a final `end` (with the route that finished it, every attempt, and the usage of
   * every segment). A failure after the first content throws `ProviderError` (the caller must report it, not present
   * a partial answer as complete); a stall longer than LLM_STREAM_IDLE_TIMEOUT_MS is a `timeout`. Stop iterating
   * early (or abort the caller's signal) to cancel the provider stream; the caller is then charged for what the
   * provider billed so far.
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
    const classified = control.classify(error);
    control.cancel();
    throw classified;
  } finally {
    control.disarm();
  }
  return { buffered, iterator, control };
}

/** One committed segment of a stream: the opened provider stream, its route, its open attempt and its slot. */
export interface CommittedStream {
  opened: OpenedStream;
  route: Route;
  /** The attempt, open until the segment ends; settled by `readSegment`. */
  entry: AttemptEntry;
  meta: Omit<LlmCallMeta, 'usage'>;
  /** The provider slot, held until the segment ends. */
  release: Release;
}

/** The time bounds of a committed stream. */
export interface SegmentBounds {
  idleTimeoutMs: number;
  /** When the whole stream request must be over (clock.now() milliseconds), whatever its pace. */
  deadline: number;
  clock: Pick<Clock, 'now'>;
}

/**
 * The rest of one committed segment, under the idle timeout and the stream's deadline. Its attempt is settled here,
 * once: when the consumer resumes after the `end` event (charged the provider's usage; the consumer may first judge
 * the answer and fail the attempt instead), at a failure (charged the input and the output so far), or when the
 * consumer stops reading (abandoned, charged the same). Only the session reads segments, and it always resumes
 * after `end` before it hands its own `end` on.
 */
export async function* readSegment(
  segment: CommittedStream,
  bounds: SegmentBounds,
): AsyncIterable<StreamEvent> {
  const { opened, entry, release } = segment;
  const { buffered, iterator, control } = opened;
  const note = (event: StreamEvent) => {
    if (event.type === 'text') entry.streamed(event.text);
    else if (event.type === 'tool_call') entry.streamed(event.call.arguments);
  };
  try {
    for (const event of buffered) {
      note(event);
      yield event;
      if (event.type === 'end') return entry.ended(event.usage);
    }
    for (;;) {
      const leftMs = bounds.deadline - bounds.clock.now();
      const bound = leftMs < bounds.idleTimeoutMs;
      control.arm(Math.max(1, Math.min(bounds.idleTimeoutMs, leftMs)));
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
      // Every strategy ends with `end` or throws; a stream that just stops was cut.
      if (next.done) throw incompleteStream(segment.route);
      note(next.value);
      yield next.value;
      if (next.value.type === 'end') return entry.ended(next.value.usage);
    }
  } catch (error) {
    if (error instanceof ProviderError) entry.failed(error);
    throw error;
  } finally {
    // Still open: the consumer stopped reading (or the caller left) before the end.
    if (entry.open) entry.abandoned();
    control.cancel();
    release();
  }
}
