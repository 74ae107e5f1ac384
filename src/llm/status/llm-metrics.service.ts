import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Clock } from '../../common/clock';
import { LLM_CLOCK, LLM_ROUTES, LlmRoutesConfig } from '../config/llm.config';
import { Prices, TokenPrice } from '../config/prices';
import { Release } from '../fallback/provider-slots';
import { LLM_MALFORMED_EVENTS } from '../llm.tokens';
import { AttemptOutcome, RecordedOutcome, TokenUsage } from '../llm.types';
import { MalformedEventTally } from '../providers/sse-sanitizer';
import { RouteStateRegistry } from '../route-state/route-state.registry';
import { parseRoute, Route, routeId } from '../routes';
import { RecentAttempts, RecentAttemptsSummary } from './recent-attempts';

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];
const CIRCUIT_STATES = ['closed', 'open', 'half_open', 'disabled'] as const;

/** The fallback layer's Prometheus metrics. Gauges read the route state at scrape time. */
@Injectable()
export class LlmMetrics {
  private readonly attempts: Counter<'provider' | 'model' | 'outcome'>;
  private readonly keyFailovers: Counter<'provider' | 'model' | 'reason'>;
  private readonly retryBudgetRefusals: Counter<'provider'>;
  private readonly hedges: Counter<'winner'>;
  private readonly fallbacks: Counter<'from' | 'to' | 'reason'>;
  private readonly requestSeconds: Histogram<'outcome'>;
  private readonly attemptSeconds: Histogram<'provider' | 'model' | 'outcome'>;
  private readonly tokens: Counter<'provider' | 'model' | 'direction'>;
  private readonly cost: Counter<'provider' | 'model'>;
  private readonly cachedInput: Counter<'provider' | 'model'>;
  private readonly unpriced: Counter<'provider' | 'model'>;
  /** What calls cost (the ledger prices reservations and budget tokens with it too). */
  readonly prices: Prices;
  private readonly probes: Counter<'provider' | 'model' | 'outcome'>;
  private readonly knownRoutes: Set<string>;
  private readonly inFlightGauge: Gauge<'provider' | 'model'>;
  private readonly recent = new RecentAttempts();
  private readonly continuations: Counter<'from' | 'to' | 'reason' | 'method'>;
  private readonly stitches: Counter<'outcome'>;

  constructor(
    registry: Registry,
    routeStates: RouteStateRegistry,
    @Inject(LLM_ROUTES)
    private readonly config: Pick<
      LlmRoutesConfig,
      'prices' | 'chain' | 'allowedRoutes' | 'endpoints'
    >,
    @Inject(LLM_CLOCK) private readonly clock: Pick<Clock, 'date'>,
    @Inject(LLM_MALFORMED_EVENTS) malformedEvents: MalformedEventTally = new MalformedEventTally(),
  ) {
    this.knownRoutes = new Set([
      ...config.chain.map(routeId),
      ...config.allowedRoutes
        .filter((pattern) => !pattern.endsWith(':*'))
        .map((pattern) => routeId(parseRoute(pattern))),
    ]);
    const registers = [registry];
    this.inFlightGauge = new Gauge({
      name: 'llm_in_flight',
      help: 'Provider calls in flight by route (a stream counts until it ends)',
      labelNames: ['provider', 'model'],
      registers,
    });
    new Counter({
      name: 'llm_stream_malformed_events_total',
      help: 'Provider stream events that were not valid JSON, dropped so the stream could go on',
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        for (const [provider, count] of malformedEvents.entries()) this.inc({ provider }, count);
      },
    });
    this.continuations = new Counter({
      name: 'llm_stream_continuations_total',
      help: 'Streams that failed after content was sent and went on, on another route, from where they stopped',
      labelNames: ['from', 'to', 'reason', 'method'],
      registers,
    });
    this.stitches = new Counter({
      name: 'llm_stream_stitches_total',
      help: 'Continuations joined to a partial answer, by how: clean, overlap (repeated end dropped), restart (repeated answer dropped), refused (ended with an error instead of gluing)',
      labelNames: ['outcome'],
      registers,
    });
    const routeState = routeStates.defaultState;
    this.attempts = new Counter({
      name: 'llm_attempts_total',
      help: 'Provider calls by route and outcome',
      labelNames: ['provider', 'model', 'outcome'],
      registers,
    });
    this.fallbacks = new Counter({
      name: 'llm_fallbacks_total',
      help: 'Moves from a failed route to the next one within a request',
      labelNames: ['from', 'to', 'reason'],
      registers,
    });
    this.keyFailovers = new Counter({
      name: 'llm_key_failovers_total',
      help: "Moves to another key of the same route after one key's 429 or rejection",
      labelNames: ['provider', 'model', 'reason'],
      registers,
    });
    this.retryBudgetRefusals = new Counter({
      name: 'llm_retry_budget_exhausted_total',
      help: 'Calls not made because the retry budget of their provider was spent (retries past LLM_RETRY_BUDGET_RATIO of first calls)',
      labelNames: ['provider'],
      registers,
    });
    this.hedges = new Counter({
      name: 'llm_hedged_requests_total',
      help: 'Plain calls that started a second route after LLM_HEDGE_AFTER_MS, by which walk answered first',
      labelNames: ['winner'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'llm_request_duration_seconds',
      help: 'Whole LLM requests across every attempt, backoff and wait',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.attemptSeconds = new Histogram({
      name: 'llm_attempt_duration_seconds',
      help: 'One provider call',
      labelNames: ['provider', 'model', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.tokens = new Counter({
      name: 'llm_tokens_total',
      help: 'Tokens charged by route and direction: the usage providers reported, and for failed or abandoned attempts the estimate of what they billed (the input, and the output streamed so far)',
      labelNames: ['provider', 'model', 'direction'],
      registers,
    });
    this.prices = new Prices(
      config.prices,
      Object.fromEntries(config.endpoints.map((endpoint) => [endpoint.name, endpoint.pricingId])),
    );
    this.cachedInput = new Counter({
      name: 'llm_cached_input_tokens_total',
      help: 'Input tokens the provider read from its prompt cache (part of llm_tokens_total direction="input")',
      labelNames: ['provider', 'model'],
      registers: [registry],
    });
    this.unpriced = new Counter({
      name: 'llm_unpriced_tokens_total',
      help: 'Tokens of routes with no known price (neither LLM_PRICES nor the maintained price data): not in llm_cost_usd_total',
      labelNames: ['provider', 'model'],
      registers: [registry],
    });
    this.cost = new Counter({
      name: 'llm_cost_usd_total',
      help: 'Estimated cost in USD: LLM_PRICES, else the maintained price data (@pydantic/genai-prices), cached input at its own price',
      labelNames: ['provider', 'model'],
      registers,
    });
    this.probes = new Counter({
      name: 'llm_probes_total',
      help: 'Scheduled health probes by route and outcome',
      labelNames: ['provider', 'model', 'outcome'],
      registers,
    });
    new Gauge({
      name: 'llm_sticky_route',
      help: '1 for the route traffic currently starts at; position 0 is the primary',
      labelNames: ['provider', 'model', 'position'],
      registers,
      collect() {
        const sticky = routeState.sticky();
        for (const [position, route] of routeState.routes.entries()) {
          this.set(
            { provider: route.provider, model: route.model, position: String(position) },
            routeId(route) === routeId(sticky.route) ? 1 : 0,
          );
        }
      },
    });
    new Gauge({
      name: 'llm_route_state',
      help: '1 for the state each route is in (closed, open, half_open, disabled); position 0 is the primary',
      labelNames: ['provider', 'model', 'position', 'state'],
      registers,
      collect() {
        for (const health of routeState.snapshot()) {
          const current = health.disabledReason !== undefined ? 'disabled' : health.circuit;
          for (const state of CIRCUIT_STATES) {
            this.set(
              {
                provider: health.route.provider,
                model: health.route.model,
                position: String(health.index),
                state,
              },
              state === current ? 1 : 0,
            );
          }
        }
      },
    });
  }

  /**
   * A route as metric labels: configured and explicitly allowed routes by name, anything else a caller names (a
   * `provider:*` model, say) as model `other`, so callers cannot grow the label set without bound.
   */
  private labelsOf(route: Route): { provider: string; model: string } {
    return {
      provider: route.provider,
      model: this.knownRoutes.has(routeId(route)) ? route.model : 'other',
    };
  }

  private routeName(route: Route): string {
    const labels = this.labelsOf(route);
    return `${labels.provider}/${labels.model}`;
  }

  attempt(route: Route, outcome: RecordedOutcome, durationMs: number): void {
    const labels = { ...this.labelsOf(route), outcome };
    this.attempts.inc(labels);
    this.attemptSeconds.observe(labels, durationMs / 1000);
    this.recent.attempt(outcome, durationMs, this.clock.date().getTime());
  }

  /** Counts a call in flight on `route` until `release` (the provider slot's) is called; returns the wrapped release. */
  inFlight(route: Route, release: Release): Release {
    const labels = this.labelsOf(route);
    this.inFlightGauge.inc(labels);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlightGauge.dec(labels);
      release();
    };
  }

  /** The last hour of attempts, for the status page. */
  recentSummary(): RecentAttemptsSummary {
    return this.recent.summary(this.clock.date().getTime());
  }

  keyFailover(route: Route, reason: AttemptOutcome): void {
    this.keyFailovers.inc({ ...this.labelsOf(route), reason });
  }

  hedged(winner: 'first' | 'hedge'): void {
    this.hedges.inc({ winner });
  }

  retryBudgetExhausted(route: Route): void {
    this.retryBudgetRefusals.inc({ provider: route.provider });
  }

  fallback(from: Route, to: Route, reason: AttemptOutcome): void {
    this.fallbacks.inc({ from: this.routeName(from), to: this.routeName(to), reason });
  }

  /** A stream that failed on `from` after content was sent went on from where it stopped on `to`. */
  continuation(
    from: Route,
    to: Route,
    reason: AttemptOutcome,
    method: 'prefill' | 'instruction',
  ): void {
    this.continuations.inc({
      from: this.routeName(from),
      to: this.routeName(to),
      reason,
      method,
    });
  }

  /** How a continuation was joined to the partial answer it continues. */
  stitch(outcome: 'clean' | 'overlap' | 'restart' | 'refused'): void {
    this.stitches.inc({ outcome });
  }

  request(outcome: 'success' | 'failed' | 'client_aborted', durationMs: number): void {
    this.requestSeconds.observe({ outcome }, durationMs / 1000);
  }

  /** The route's unit prices (USD per million tokens), or undefined when it is unpriced. */
  priceOf(route: Route): TokenPrice | undefined {
    return this.prices.priceOf(route);
  }

  /** Tokens charged for one attempt, and their estimated cost (returned; undefined for an unpriced route). */
  usage(route: Route, usage: TokenUsage): number | undefined {
    if (usage.inputTokens + usage.outputTokens === 0) return 0;
    const labels = this.labelsOf(route);
    this.tokens.inc({ ...labels, direction: 'input' }, usage.inputTokens);
    this.tokens.inc({ ...labels, direction: 'output' }, usage.outputTokens);
    if (usage.cachedInputTokens) this.cachedInput.inc(labels, usage.cachedInputTokens);
    this.recent.input(usage.inputTokens, usage.cachedInputTokens ?? 0, this.clock.date().getTime());
    const usd = this.prices.costOf(route, usage);
    if (usd === undefined) this.unpriced.inc(labels, usage.inputTokens + usage.outputTokens);
    else {
      this.cost.inc(labels, usd);
      this.recent.cost(usd, this.clock.date().getTime());
    }
    return usd;
  }

  probe(route: Route, outcome: AttemptOutcome): void {
    this.probes.inc({ ...this.labelsOf(route), outcome });
  }
}
