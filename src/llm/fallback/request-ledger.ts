import { Logger } from '@nestjs/common';
import { Decision } from './failure-policy';
import { AllRoutesFailedError, FailureKind, ProviderError } from '../llm.errors';
import { LlmMetrics } from '../status/llm-metrics.service';
import { chargeSpend } from '../../common/spend-scope';
import { AttemptOutcome, AttemptRecord, LlmCallMeta, TokenUsage } from '../llm.types';
import { ChainState } from '../route-state/chain-state';
import { Route, routeId, routeLabel } from '../routes';
import { trace } from '@opentelemetry/api';

/** Retry-After sent with an all-routes-failed answer when no provider said when to come back. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;
const MAX_RETRY_AFTER_SECONDS = 60;

/**
 * Everything one request learned about its attempts, recorded in one place: the attempt list the caller gets back,
 * the chain's circuits and counts, the metrics, the logs, and the providers' Retry-After hints.
 */
export class AttemptLedger {
  readonly attempts: AttemptRecord[] = [];
  /**
   * The first failure of this request that says a route is unavailable (see `ChainState.isUnavailabilitySignal`):
   * the sticky route moves only when there is one, and this is the reason it gives.
   */
  unavailable: FailureKind | undefined;
  private readonly retryHintsMs: number[] = [];
  private lastFailed: { route: Route; kind: FailureKind } | undefined;

  constructor(
    private readonly state: ChainState,
    private readonly metrics: LlmMetrics,
    private readonly logger: Logger,
    /** ` [request id]` for log lines, or empty. */
    readonly tag: string,
    /** The request's input, estimated: what a failed attempt is charged (providers bill prompts they read). */
    private readonly estimatedInputTokens = 0,
  ) {}

  /** Called before the first attempt on each route: a move after a failure is a fallback. */
  startRoute(route: Route): void {
    if (!this.lastFailed) return;
    this.logger.warn(`Falling back to ${routeLabel(route)}${this.tag}`);
    this.metrics.fallback(this.lastFailed.route, route, this.lastFailed.kind);
    trace.getActiveSpan()?.addEvent('llm.fallback', {
      'llm.from': routeId(this.lastFailed.route),
      'llm.route': routeId(route),
      'llm.reason': this.lastFailed.kind,
    });
  }

  /** Logged before each call. */
  calling(route: Route): void {
    this.logger.log(
      `Calling ${routeLabel(route)} (attempt ${this.attempts.length + 1})${this.tag}`,
    );
  }

  /** A successful attempt; its tokens are charged to the caller now, or, for a stream, when the stream ends. */
  success(
    route: Route,
    index: number,
    durationMs: number,
    usage?: TokenUsage | 'at_stream_end',
  ): void {
    // A stream's attempt is counted in the metrics when it ends (success, failure, or the caller leaving).
    this.add(route, 'success', durationMs, undefined, usage !== 'at_stream_end');
    if (usage !== 'at_stream_end')
      chargeSpend(usage ? usage.inputTokens + usage.outputTokens : this.estimatedInputTokens);
    this.state.recordAttempt(index, 'success');
    this.logger.log(`${routeLabel(route)} took ${(durationMs / 1000).toFixed(2)}s${this.tag}`);
  }

  failure(route: Route, index: number, error: ProviderError, durationMs: number): void {
    this.add(route, error.kind, durationMs, error.status);
    this.lastFailed = { route, kind: error.kind };
    this.state.recordAttempt(index, error.kind);
    chargeSpend(this.estimatedInputTokens);
    if (this.state.isUnavailabilitySignal(index, error.kind)) this.unavailable ??= error.kind;
    if (error.retryAfterMs !== undefined) this.retryHintsMs.push(error.retryAfterMs);
    this.logger.debug(`${error.message}${this.tag}`);
  }

  /** Logs what the failure policy decided after a failed attempt. */
  decided(route: Route, error: ProviderError, decision: Decision): void {
    const status = error.status === undefined ? '' : ` (${error.status})`;
    const what =
      decision.action === 'retry_same_route'
        ? `retrying in ${(decision.delayMs / 1000).toFixed(2)}s (${decision.why})`
        : 'trying next route';
    this.logger.warn(`${routeLabel(route)} ${error.kind}${status}; ${what}${this.tag}`);
  }

  /** Our own concurrency limit, not the provider's failure: the circuit does not count it. */
  shed(route: Route): void {
    this.add(route, 'overloaded', 0);
    this.lastFailed = { route, kind: 'overloaded' };
    this.logger.warn(
      `${routeLabel(route)} is at its concurrency limit; trying next route${this.tag}`,
    );
  }

  meta(route: Route, index: number, durationMs: number): Omit<LlmCallMeta, 'usage'> {
    return {
      provider: route.provider,
      model: route.model,
      fallbackUsed: index !== 0,
      attempts: this.attempts,
      durationMs: Math.round(durationMs),
    };
  }

  /** The request's end when no route answered. */
  allFailed(reason: AllRoutesFailedError['reason']): AllRoutesFailedError {
    const allCircuitsOpen = this.state
      .snapshot()
      .every((route) => route.circuit !== 'closed' || route.disabledReason !== undefined);
    const summary = this.attempts
      .map((attempt) => `${attempt.provider}/${attempt.model}=${attempt.outcome}`)
      .join(', ');
    this.logger.error(`All routes failed (${reason})${this.tag}: ${summary || 'no attempt made'}`);
    return new AllRoutesFailedError(
      this.attempts,
      this.retryAfterSeconds(),
      reason,
      allCircuitsOpen,
    );
  }

  /** The caller left while this attempt was running. */
  aborted(route: Route, durationMs: number): void {
    this.metrics.attempt(route, 'client_aborted', durationMs);
  }

  private add(
    route: Route,
    outcome: AttemptOutcome,
    durationMs: number,
    status?: number,
    countInMetrics = true,
  ): void {
    this.attempts.push({
      provider: route.provider,
      model: route.model,
      outcome,
      ...(status === undefined ? {} : { status }),
      durationMs: Math.round(durationMs),
    });
    if (countInMetrics) this.metrics.attempt(route, outcome, durationMs);
  }

  /** The soonest time a provider said it would take requests again, else a short default; 1–60 s. */
  private retryAfterSeconds(): number {
    if (this.retryHintsMs.length === 0) return DEFAULT_RETRY_AFTER_SECONDS;
    const seconds = Math.ceil(Math.min(...this.retryHintsMs) / 1000);
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds));
  }
}
