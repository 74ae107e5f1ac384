import { Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { LlmLimitsConfig, LlmTimeoutsConfig } from '../config/llm.config';
import { AttemptOnRoute, FallbackLoop, WalkOptions } from '../fallback/fallback-loop';
import { RequestLedger } from '../fallback/request-ledger';
import { spendAsk, withOutputLimit } from '../fallback/spend-ask';
import { ProviderError } from '../llm.errors';
import {
  ContinuationMethod,
  ProviderRequest,
  StreamContinuation,
  StreamEvent,
  TokenUsage,
} from '../llm.types';
import { Route, routeId, routeLabel } from '../routes';
import { LlmMetrics } from '../status/llm-metrics.service';
import { continuable, continuationRequest, PrefillMemory, Stitcher } from './continuation';
import { CommittedStream, openStream, readSegment } from './stream-session';

/** Where a stream's walks start from: everything of a walk but what the streams decide themselves. */
export type StreamWalk = Omit<WalkOptions, 'mode' | 'spend' | 'failed'>;

/** How a session goes on after its first segment. */
export interface SessionOptions {
  /** Continue a segment that failed after content was sent on the next route (LLM_STREAM_CONTINUATION). */
  continuation?: {
    request: Omit<ProviderRequest, 'model'>;
    walk: StreamWalk;
    maxContinuations: number;
  };
  /** Judges the whole answer's text when the stream ends; a ProviderError fails the last segment's attempt. */
  accept?: (text: string, segment: CommittedStream) => Promise<void>;
  /** When the whole stream must be over (clock.now() milliseconds). */
  deadline: number;
}

/** A continuation that could not be joined to the partial answer with confidence: the stream ends with an error. */
export class UnstitchableContinuation extends ProviderError {}

/**
 * Streams over the fallback loop: `open` walks the chain until a route sends its first content, `session` reads the
 * committed stream to its end, continuing it on the next route when it fails mid-answer (the text stitched, never
 * glued), and every segment is recorded in the request's ledger.
 */
export class LlmStreams {
  private readonly prefill = new PrefillMemory();

  constructor(
    private readonly loop: FallbackLoop,
    private readonly timeouts: LlmTimeoutsConfig & Pick<LlmLimitsConfig, 'maxOutputTokens'>,
    private readonly clock: Clock,
    private readonly metrics: LlmMetrics,
    private readonly logger: Logger,
  ) {}

  /** Opens a stream, falling back across routes until one produces its first content. */
  async open(
    request: Omit<ProviderRequest, 'model'>,
    ledger: RequestLedger,
    walk: StreamWalk & Pick<WalkOptions, 'failed'>,
  ): Promise<CommittedStream> {
    const walked = await this.loop.walk(
      ledger,
      { ...walk, mode: 'stream', spend: spendAsk(request, this.timeouts.maxOutputTokens) },
      async ({ route, provider, timeoutMs, output }) => ({
        value: await openStream(
          route,
          provider,
          withOutputLimit(request, output),
          this.firstTokenMs(timeoutMs),
          walk.signal,
        ),
      }),
    );
    const { value: opened, route, entry, meta, release } = walked;
    return { opened, route, entry, meta, release };
  }

  /** The committed stream to its end, continued across routes when `options.continuation` allows it. */
  session(
    first: CommittedStream,
    ledger: RequestLedger,
    options: SessionOptions,
  ): AsyncIterable<StreamEvent> {
    return this.segments(first, ledger, options);
  }

  private async *segments(
    first: CommittedStream,
    ledger: RequestLedger,
    options: SessionOptions,
  ): AsyncIterable<StreamEvent> {
    const bounds = {
      idleTimeoutMs: this.timeouts.streamIdleMs,
      deadline: options.deadline,
      clock: this.clock,
    };
    const segments = [first];
    const continuations: StreamContinuation[] = [];
    let segment = first;
    let sent = '';
    let stitcher: Stitcher | undefined;
    const refuseIfUnstitchable = () => {
      if (stitcher?.outcome !== 'refused') return;
      this.metrics.stitch('refused');
      const error = new UnstitchableContinuation(
        segment.route,
        { kind: 'invalid_output' },
        { detail: 'the continuation could not be joined to the partial answer' },
      );
      segment.entry.failed(error);
      throw error;
    };
    for (;;) {
      let end: Extract<StreamEvent, { type: 'end' }> | undefined;
      try {
        for await (const event of readSegment(segment, bounds)) {
          if (event.type === 'tool_call') {
            yield event;
            continue;
          }
          let text = event.type === 'text' ? event.text : '';
          if (stitcher) {
            const judged = stitcher.outcome;
            text = event.type === 'text' ? stitcher.add(text) : stitcher.finish();
            refuseIfUnstitchable();
            if (judged === undefined && stitcher.outcome) this.metrics.stitch(stitcher.outcome);
          }
          if (text.length > 0) {
            sent += text;
            yield { type: 'text', text };
          }
          if (event.type !== 'end') continue;
          if (options.accept) await this.judge(options.accept, sent, segment);
          // The segment settles when it resumes after `end`: only then is the end handed on.
          end = event;
        }
      } catch (error) {
        const reopen = options.continuation;
        if (
          !reopen ||
          !(error instanceof ProviderError) ||
          error instanceof UnstitchableContinuation ||
          !continuable(error) ||
          continuations.length >= reopen.maxContinuations
        )
          throw error;
        const next = await this.reopen(ledger, reopen, sent, segment.route, error);
        continuations.push({
          from: routeId(segment.route),
          to: routeId(next.stream.route),
          reason: error.kind,
          method: next.method,
        });
        this.metrics.continuation(segment.route, next.stream.route, error.kind, next.method);
        this.logger.warn(
          `Continuing a stream cut on ${routeId(segment.route)} (${error.kind}) on ${routeId(next.stream.route)} by ${next.method}, after ${sent.length} characters${ledger.tag}`,
        );
        segment = next.stream;
        segments.push(segment);
        stitcher = new Stitcher(sent);
        continue;
      }
      if (!end) throw new Error('a stream segment ended without its end event');
      yield {
        ...end,
        usage: sumUsage(segments.map((each) => each.entry.charged)),
        route: segment.route,
        attempts: ledger.attempts,
        ...(continuations.length > 0 ? { continuations } : {}),
      };
      return;
    }
  }

  /** `accept` on the whole text; a ProviderError fails the segment's attempt (it is then not charged as a success). */
  private async judge(
    accept: NonNullable<SessionOptions['accept']>,
    text: string,
    segment: CommittedStream,
  ): Promise<void> {
    try {
      await accept(text, segment);
    } catch (error) {
      if (error instanceof ProviderError) segment.entry.failed(error);
      throw error;
    }
  }

  /**
   * Opens the continuation of a stream that failed on `failedRoute` after sending `partial`: the chain walked again
   * with that route last, each route asked by prefill where it takes one, else by instruction. A prefill the route
   * rejects (a 400) is retried at once with the instruction, so a prefill rejection never becomes the caller's error.
   */
  private async reopen(
    ledger: RequestLedger,
    continuation: NonNullable<SessionOptions['continuation']>,
    partial: string,
    failedRoute: Route,
    error: ProviderError,
  ): Promise<{ stream: CommittedStream; method: ContinuationMethod }> {
    const { request, walk } = continuation;
    let method: ContinuationMethod = 'instruction';
    const open = (
      { route, provider, timeoutMs, output }: Parameters<AttemptOnRoute<unknown>>[0],
      how: ContinuationMethod,
    ) =>
      openStream(
        route,
        provider,
        withOutputLimit(continuationRequest(request, partial, how), output),
        this.firstTokenMs(timeoutMs),
        walk.signal,
      );
    const walked = await this.loop.walk(
      ledger,
      {
        ...walk,
        mode: 'stream',
        failed: { route: failedRoute, kind: error.kind },
        spend: spendAsk(
          continuationRequest(request, partial, 'instruction'),
          this.timeouts.maxOutputTokens,
        ),
      },
      async (target) => {
        const { route, provider } = target;
        if (this.prefill.accepts(provider, route)) {
          try {
            const opened = await open(target, 'prefill');
            method = 'prefill';
            return { value: opened };
          } catch (failure) {
            if (!(failure instanceof ProviderError) || failure.kind !== 'bad_request')
              throw failure;
            this.prefill.rejected(route);
            this.logger.warn(
              `${routeLabel(route)} rejected an assistant prefill; continuing by instruction${ledger.tag}`,
            );
          }
        }
        method = 'instruction';
        return { value: await open(target, 'instruction') };
      },
    );
    const { value: opened, route, entry, meta, release } = walked;
    return { stream: { opened, route, entry, meta, release }, method };
  }

  /** A stream's wait for its first content: the first-token timeout, within the attempt's own. */
  private firstTokenMs(attemptTimeoutMs: number): number {
    return Math.min(attemptTimeoutMs, this.timeouts.firstTokenMs);
  }
}

function sumUsage(usages: TokenUsage[]): TokenUsage {
  return usages.reduce(
    (total, usage) => ({
      inputTokens: total.inputTokens + usage.inputTokens,
      outputTokens: total.outputTokens + usage.outputTokens,
      cachedInputTokens: (total.cachedInputTokens ?? 0) + (usage.cachedInputTokens ?? 0),
      cacheWriteTokens: (total.cacheWriteTokens ?? 0) + (usage.cacheWriteTokens ?? 0),
    }),
    { inputTokens: 0, outputTokens: 0 },
  );
}
