import { Logger } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { Clock } from '../../common/clock';
import { SpendAsk } from '../../common/spend-scope';
import { LlmLimitsConfig, LlmPolicyConfig, LlmTimeoutsConfig } from '../config/llm.config';
import {
  AllRoutesFailedError,
  ContentFilteredError,
  FailureKind,
  ProviderError,
  RequestAbortedError,
  RequestRefusedError,
} from '../llm.errors';
import { LlmCallMeta, LlmProvider, TokenUsage } from '../llm.types';
import { ChainState, RoutingScope } from '../route-state/chain-state';
import { RouteStateRegistry } from '../route-state/route-state.registry';
import { ProviderName, Route, routeId, routeLabel, sameRoute } from '../routes';
import { LlmMetrics } from '../status/llm-metrics.service';
import { callerShapeable, decideAfterFailure, failureEffects } from './failure-policy';
import { otherKeyFor } from './key-failover';
import { ProviderSlots, Release } from './provider-slots';
import { AttemptEntry, RequestLedger } from './request-ledger';
import type { RetryBudget } from './retry-budget';
import { AttemptOnRoute, tracedAttempt } from './traced-attempt';

export type { AttemptOnRoute } from './traced-attempt';

/** The least time worth starting an attempt with (capped by the attempt timeout). */
const MIN_ATTEMPT_MS = 1_000;
/** Retry-After sent with an all-routes-failed answer when no provider said when to come back. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;
const MAX_RETRY_AFTER_SECONDS = 60;

/** How one walk over the chain goes. */
export interface WalkOptions {
  /** A per-request chain instead of the configured one. */
  chain?: readonly Route[];
  /** A route that already failed this request (a stream cut on it): tried last, and leaving it is sticky. */
  failed?: { route: Route; kind: FailureKind };
  /** A route another walk of this request is waiting on (a hedge): not tried by this one. */
  skip?: Route;
  /** Whose words the request carries: a refusal of the caller's content stops (unless configured otherwise). */
  content: 'caller' | 'own';
  /** Whose routing state the walk reads and moves: the service's, or the gateway callers' own (LLM_GATEWAY_ROUTING). */
  routing: RoutingScope;
  /** When the request must be over (clock.now() milliseconds). */
  deadline: number;
  signal: AbortSignal | undefined;
  /**
   * `call`: an attempt ends with its answer. `stream`: an attempt succeeds at its first content and keeps its
   * provider slot; the stream ends (and settles) it later.
   */
  mode: 'call' | 'stream';
  /**
   * What each attempt may cost: its input estimate (what a failed attempt is charged) and the output limit it sends;
   * held in the payer's budgets before it is sent.
   */
  spend: SpendAsk;
}

/** Where a walk ended: the answer, the route that gave it, its still-open attempt (streams) and its slot. */
export interface Walked<T> {
  value: T;
  usage: TokenUsage | undefined;
  meta: Omit<LlmCallMeta, 'usage'>;
  route: Route;
  index: number;
  state: ChainState;
  entry: AttemptEntry;
  /** The provider slot: released already for calls, held by a stream until it ends. */
  release: Release;
}

/** What one walk learns beyond the ledger: why the sticky route may move, when providers said to come back. */
interface WalkState {
  /** The first failure of this walk that says a route is unavailable: the sticky route moves only with one. */
  unavailable: FailureKind | undefined;
  lastFailed: { route: Route; kind: FailureKind } | undefined;
  retryHintsMs: number[];
  /** Routes this request has called: another call to one is a retry, within its provider's retry budget. */
  called: Set<string>;
}

/** Retry-After for a request refused by the retry budget: a second of the window has passed by then. */
const RETRY_BUDGET_HINT_MS = 1_000;

/**
 * The fallback loop, written once: walk the routes in order, apply the failure policy after each failed attempt,
 * and end in an answer or `AllRoutesFailedError`. The only retry loop in the process (the SDK clients are built with
 * `maxRetries: 0`); it owns backoff, Retry-After, attempt timeouts and the request deadline. Every attempt is
 * recorded in the request's ledger.
 */
export class FallbackLoop {
  private readonly logger = new Logger('LlmService');
  private readonly minAttemptMs: number;

  constructor(
    private readonly providers: ReadonlyMap<ProviderName, LlmProvider>,
    private readonly slots: ProviderSlots,
    private readonly routeStates: RouteStateRegistry,
    private readonly metrics: LlmMetrics,
    private readonly settings: {
      timeouts: LlmTimeoutsConfig;
      limits: LlmLimitsConfig;
      policy: LlmPolicyConfig;
      clock: Clock;
      retryBudget: RetryBudget;
    },
  ) {
    this.minAttemptMs = Math.min(MIN_ATTEMPT_MS, settings.timeouts.attemptMs);
  }

  async walk<T>(
    ledger: RequestLedger,
    options: WalkOptions,
    attemptOnRoute: AttemptOnRoute<T>,
  ): Promise<Walked<T>> {
    const { clock } = this.settings;
    const started = clock.now();
    const state = this.routeStates.forChain(options.chain, options.routing);
    const plan = state.plan();
    const walk: WalkState = {
      unavailable: undefined,
      lastFailed: undefined,
      retryHintsMs: [],
      called: new Set(),
    };
    const failedKind = options.failed?.kind;
    if (failedKind && failureEffects(failedKind).movesSticky === 'yes')
      walk.unavailable = failedKind;
    const giveUp = (reason: AllRoutesFailedError['reason']) =>
      this.allFailed(ledger, state, walk, reason);

    for (const { route, index } of lastIfFailed(plan.routes, options.failed?.route)) {
      const provider = this.providers.get(route.provider);
      if (!provider?.configured || state.isDisabled(route)) continue;
      if (options.skip && sameRoute(route, options.skip)) continue;
      this.startRoute(route, walk, ledger.tag);
      // Switches to another key of this route's provider, at most one per other key.
      let keySwitches = 0;
      for (let retriesOnRoute = 0; ; retriesOnRoute += 1) {
        if (options.deadline - clock.now() < this.minAttemptMs) throw giveUp('deadline');
        // Every key of the provider is cooling, exhausted or disabled: the route cannot answer now.
        if (provider.keys && !provider.keys.hasReady()) {
          walk.lastFailed = { route, kind: 'rate_limited' };
          walk.retryHintsMs.push(provider.keys.readyInMs());
          this.logger.warn(
            `${routeLabel(route)}: no key usable now; trying next route${ledger.tag}`,
          );
          break;
        }
        if (!this.withinRetryBudget(route, walk, ledger.tag)) break;
        this.logger.debug(
          `Calling ${routeLabel(route)} (attempt ${ledger.attempts.length + 1})${ledger.tag}`,
        );
        const hold = await ledger.reserve(options.spend, route);
        const slot = await this.slots.acquire(route.provider, this.queueWaitMs(options.deadline));
        if (!slot) {
          hold.settle(0);
          ledger.shed(route);
          walk.lastFailed = { route, kind: 'overloaded' };
          break;
        }
        const release = this.metrics.inFlight(route, slot);
        const timeoutMs = Math.max(
          1,
          Math.floor(Math.min(this.settings.timeouts.attemptMs, options.deadline - clock.now())),
        );
        const entry = ledger.begin(route, index, state, options.spend.inputTokens, hold);
        const output = {
          tokens: hold.outputTokens,
          lowered: hold.outputTokens < options.spend.outputTokens,
        };
        const target = { route, provider, timeoutMs, output };
        let outcome: { value: T; usage?: TokenUsage } | ProviderError;
        try {
          outcome = await tracedAttempt(target, entry, attemptOnRoute);
        } catch (error) {
          release();
          if (error instanceof RequestAbortedError) entry.abandoned();
          else entry.broke();
          throw error;
        }
        if (!(outcome instanceof ProviderError)) {
          if (options.mode === 'call') {
            entry.answered(outcome.usage);
            release();
          } else entry.committed();
          state.recordSuccess(plan, index, walk.unavailable);
          const meta = {
            provider: route.provider,
            model: route.model,
            fallbackUsed: index !== 0,
            attempts: ledger.attempts,
            spent: ledger.spent(),
            durationMs: Math.round(clock.now() - started),
          };
          return { ...outcome, usage: outcome.usage, meta, route, index, state, entry, release };
        }
        release();
        const error = outcome;
        // One key limited or rejected while another is usable: the same route again on that key, at once. The route
        // itself is fine; its circuit is not told.
        if (otherKeyFor(error, provider) && keySwitches < provider.keys!.size - 1) {
          keySwitches += 1;
          retriesOnRoute -= 1; // another key is not a retry of this one
          entry.failed(error, false);
          this.logger.warn(
            `${routeLabel(route)} key ${error.key} ${error.kind}; trying another key${ledger.tag}`,
          );
          this.metrics.keyFailover(route, error.kind);
          continue;
        }
        // Gateway callers on the service's own state: what they can shape does not move it.
        const counted = !(
          options.content === 'caller' &&
          options.routing === 'service' &&
          callerShapeable(error.kind)
        );
        entry.failed(error, counted);
        this.learn(walk, state, index, error, counted);
        if (error.kind === 'content_blocked' && !this.fallsOverOnRefusal(options.content)) {
          throw new ContentFilteredError(
            route.provider,
            route.model,
            error.reason ?? 'content_blocked',
            ledger.attempts,
          );
        }
        const decision = decideAfterFailure(error, {
          retriesOnRoute,
          remainingMs: options.deadline - clock.now(),
          minAttemptMs: this.minAttemptMs,
          random: () => clock.random(),
        });
        const status = error.status === undefined ? '' : ` (${error.status})`;
        const what =
          decision.action === 'retry_same_route'
            ? `retrying in ${(decision.delayMs / 1000).toFixed(2)}s (${decision.why})`
            : 'trying next route';
        this.logger.warn(`${routeLabel(route)} ${error.kind}${status}; ${what}${ledger.tag}`);
        if (decision.action === 'next_route') {
          if (decision.disableRoute) state.disable(route, describeFailure(error));
          break;
        }
        await this.pause(decision.delayMs, options.signal);
      }
    }
    throw giveUp(plan.routes.length === 0 ? 'no_route' : 'exhausted');
  }

  /**
   * A request's first call to a route always goes; another (a retry, another key of it) only within its provider's
   * retry budget for the fleet. Past it the request moves on without the call, and ends in a 503 if nothing else
   * answers.
   */
  private withinRetryBudget(route: Route, walk: WalkState, tag: string): boolean {
    const budget = this.settings.retryBudget;
    if (!walk.called.has(routeId(route))) {
      walk.called.add(routeId(route));
      budget.first(route.provider);
      return true;
    }
    if (budget.tryExtra(route.provider)) return true;
    walk.lastFailed = { route, kind: 'overloaded' };
    walk.retryHintsMs.push(RETRY_BUDGET_HINT_MS);
    this.metrics.retryBudgetExhausted(route);
    this.logger.warn(`${routeLabel(route)}: retry budget spent; not calling it again${tag}`);
    return false;
  }

  /** Called before the first attempt on each route: a move after a failure is a fallback. */
  private startRoute(route: Route, walk: WalkState, tag: string): void {
    const from = walk.lastFailed;
    if (!from) return;
    this.logger.warn(`Falling back to ${routeLabel(route)}${tag}`);
    this.metrics.fallback(from.route, route, from.kind);
    trace.getActiveSpan()?.addEvent('llm.fallback', {
      'llm.from': routeId(from.route),
      'llm.route': routeId(route),
      'llm.reason': from.kind,
    });
  }

  /** What a failed attempt says beyond itself: whether its route is unavailable, when to come back. */
  private learn(
    walk: WalkState,
    state: ChainState,
    index: number,
    error: ProviderError,
    counted: boolean,
  ): void {
    walk.lastFailed = { route: state.routes[index], kind: error.kind };
    if (counted && state.isUnavailabilitySignal(index, error.kind)) walk.unavailable ??= error.kind;
    if (error.retryAfterMs !== undefined) walk.retryHintsMs.push(error.retryAfterMs);
    this.logger.debug(error.message);
  }

  /** The request's end when no route answered: every attempt, and when to try again (1–60 s). */
  private allFailed(
    ledger: RequestLedger,
    state: ChainState,
    walk: WalkState,
    reason: AllRoutesFailedError['reason'],
  ): AllRoutesFailedError | RequestRefusedError {
    const refused = (outcome: string) => outcome === 'bad_request' || outcome === 'context_length';
    if (
      reason === 'exhausted' &&
      ledger.attempts.length > 0 &&
      ledger.attempts.every((a) => refused(a.outcome))
    )
      return new RequestRefusedError(ledger.attempts);
    const allCircuitsOpen = state
      .snapshot()
      .every((route) => route.circuit !== 'closed' || route.disabledReason !== undefined);
    const summary = ledger.attempts
      .map((attempt) => `${attempt.provider}/${attempt.model}=${attempt.outcome}`)
      .join(', ');
    this.logger.error(
      `All routes failed (${reason})${ledger.tag}: ${summary || 'no attempt made'}`,
    );
    const retryAfter =
      walk.retryHintsMs.length === 0
        ? DEFAULT_RETRY_AFTER_SECONDS
        : Math.min(
            MAX_RETRY_AFTER_SECONDS,
            Math.max(1, Math.ceil(Math.min(...walk.retryHintsMs) / 1000)),
          );
    return new AllRoutesFailedError(ledger.attempts, retryAfter, reason, allCircuitsOpen);
  }

  private queueWaitMs(deadline: number): number {
    const left = deadline - this.settings.clock.now() - this.minAttemptMs;
    return Math.min(this.settings.limits.queueTimeoutMs, left);
  }

  private fallsOverOnRefusal(content: WalkOptions['content']): boolean {
    const policy = this.settings.policy.fallbackOnContentFilter;
    return content === 'caller' ? policy.callerContent : policy.ownPrompts;
  }

  private async pause(delayMs: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.settings.clock.sleep(delayMs, signal);
    } catch {
      throw new RequestAbortedError();
    }
  }
}

/** The plan with a route that already failed this request moved to its end. */
function lastIfFailed<T extends { route: Route }>(planned: T[], failed: Route | undefined): T[] {
  if (!failed) return planned;
  const isFailed = (entry: T) => sameRoute(entry.route, failed);
  return [...planned.filter((entry) => !isFailed(entry)), ...planned.filter(isFailed)];
}

function describeFailure(error: ProviderError): string {
  return error.status === undefined ? error.kind : `${error.kind} (${error.status})`;
}
