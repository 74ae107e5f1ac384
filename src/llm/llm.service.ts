import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import {
  LLM_CLOCK,
  LLM_LIMITS,
  LLM_POLICY,
  LLM_ROUTES,
  LLM_TIMEOUTS,
  LlmLimitsConfig,
  LlmPolicyConfig,
  LlmRoutesConfig,
  LlmTimeoutsConfig,
} from './config/llm.config';
import { attemptRoute, Interpret, interpretAs } from './fallback/attempt';
import { FallbackLoop, WalkOptions } from './fallback/fallback-loop';
import { Hedger } from './fallback/hedge';
import { ProviderSlots } from './fallback/provider-slots';
import { closing, outcomeOf, RequestLedger } from './fallback/request-ledger';
import { RetryBudget, RetryCountStore } from './fallback/retry-budget';
import { spendAsk, withOutputLimit } from './fallback/spend-ask';
import { objectRequest } from './fallback/structured-output';
import { ProviderError } from './llm.errors';
import { LLM_PROVIDERS, LLM_RETRY_COUNTS } from './llm.tokens';
import {
  CallerLimits,
  CallOptions,
  GenerateObjectParams,
  LlmProvider,
  StreamObjectHandlers,
  LlmResult,
  ProviderRequest,
  SamplingParameter,
  TokenUsage,
} from './llm.types';
import { RouteStateRegistry } from './route-state/route-state.registry';
import { ProviderName, Route, routeAllowed } from './routes';
import { LlmMetrics } from './status/llm-metrics.service';
import { LlmStreams, StreamWalk } from './streaming/llm-streams';
import { StreamSession } from './streaming/stream-session';

type Request = Omit<ProviderRequest, 'model'>;

/**
 * The LLM layer's face: structured objects, plain runs and streams over the fallback loop, each request recorded in
 * one ledger (its attempts, metrics, charges and outcome). The loop, the streams and the ledger do the work.
 */
@Injectable()
export class LlmService {
  private readonly logger = new Logger(LlmService.name);
  private readonly providers: Map<ProviderName, LlmProvider>;
  /** The names a route may give (`CallerLimits.providers`), listed once. */
  private readonly providerNames: readonly ProviderName[];
  private readonly loop: FallbackLoop;
  private readonly streams: LlmStreams;
  private readonly hedger: Hedger;

  constructor(
    @Inject(LLM_PROVIDERS) providers: LlmProvider[],
    @Inject(LLM_ROUTES) private readonly routesConfig: LlmRoutesConfig,
    @Inject(LLM_TIMEOUTS) private readonly timeouts: LlmTimeoutsConfig,
    @Inject(LLM_LIMITS) private readonly limits: LlmLimitsConfig,
    @Inject(LLM_POLICY) private readonly policy: LlmPolicyConfig,
    @Inject(LLM_CLOCK) private readonly clock: Clock,
    private readonly routeStates: RouteStateRegistry,
    private readonly metrics: LlmMetrics,
    @Inject(LLM_RETRY_COUNTS) retryCounts: RetryCountStore,
  ) {
    this.providers = new Map(providers.map((provider) => [provider.name, provider]));
    this.providerNames = [...this.providers.keys()];
    const slots = new ProviderSlots(
      providers.map((provider) => provider.name),
      limits.maxConcurrency,
      limits.queueSize,
    );
    this.loop = new FallbackLoop(this.providers, slots, routeStates, metrics, {
      timeouts,
      limits,
      policy,
      clock,
      retryBudget: new RetryBudget(
        { ratio: limits.retryBudgetRatio, minPerWindow: limits.retryBudgetMin },
        retryCounts,
      ),
    });
    this.hedger = new Hedger(
      { afterMs: limits.hedgeAfterMs, maxShare: limits.hedgeMaxShare },
      clock,
      (winner) => metrics.hedged(winner),
    );
    this.streams = new LlmStreams(
      this.loop,
      { ...timeouts, ...limits },
      clock,
      metrics,
      this.logger,
    );
  }

  /** The configured chain's routes that have a key, primary first. */
  routes(): readonly Route[] {
    return this.routeStates.defaultState.routes;
  }

  /** What a caller of the OpenAI-compatible endpoint may ask for (LLM_ALLOWED_ROUTES and the LLM_MAX_* limits). */
  callerLimits(): CallerLimits {
    const { maxRequestFallbacks, maxOutputTokens, maxInputTokens } = this.limits;
    const { chain, allowedRoutes, aliases } = this.routesConfig;
    return {
      maxRequestFallbacks,
      maxOutputTokens,
      maxInputTokens,
      allows: (route) => routeAllowed(route, chain, allowedRoutes),
      aliases,
      providers: this.providerNames,
    };
  }

  /** The sampling parameters a route's provider honours; undefined when the provider has no key. */
  supports(route: Route): ReadonlySet<SamplingParameter> | undefined {
    const provider = this.providers.get(route.provider);
    return provider?.configured ? provider.supports : undefined;
  }

  /** Generates an object validated against `params.schema`, falling back across routes. */
  async generateObject<T extends object>(params: GenerateObjectParams<T>): Promise<LlmResult<T>> {
    return this.run(objectRequest(params), interpretAs(params.schema), params);
  }

  /**
   * `generateObject`, streamed: the handlers see the route once it answers and the text as it arrives (for
   * progressive display); the object is validated at the end as `generateObject` validates it. A stream that fails
   * after its first content, or whose answer does not validate, is served by a plain call over the chain
   * (`onRestart` first), in the same request: its attempts and charges are in the same ledger.
   */
  async streamObject<T extends object>(
    params: GenerateObjectParams<T>,
    handlers: StreamObjectHandlers = {},
  ): Promise<LlmResult<T>> {
    const request = objectRequest(params);
    const interpret = interpretAs(params.schema);
    return this.owned(params, async (ledger, walk) => {
      const first = await this.streams.open(request, ledger, walk);
      handlers.onStart?.(first.meta);
      let value: T | undefined;
      let usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
      let text = '';
      const accept = async (whole: string) => {
        value = await interpret({ text: whole, usage, finish: 'stop' }, first.route);
      };
      try {
        const events = this.streams.session(first, ledger, {
          accept,
          deadline: this.streamDeadline(),
        });
        for await (const event of events) {
          if (event.type === 'end') usage = event.usage;
          if (event.type !== 'text') continue; // objects are asked for without tools
          text += event.text;
          handlers.onText?.(text);
        }
        return { value: value as T, meta: { ...first.meta, usage, spent: ledger.spent() } };
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        handlers.onRestart?.(error.kind);
        const failed = { route: first.route, kind: error.kind };
        return this.call(request, interpret, ledger, { ...walk, failed });
      }
    });
  }

  /** Runs one request through the chain. `interpret` decides whether an answer is usable. */
  async run<T>(
    request: Request,
    interpret: Interpret<T>,
    options: CallOptions = {},
  ): Promise<LlmResult<T>> {
    if (this.policy.logPrompts)
      this.logger.debug(`Prompt${tagOf(options)}: ${JSON.stringify(request.messages)}`);
    return this.owned(options, (ledger, walk) => this.call(request, interpret, ledger, walk));
  }

  /**
   * Opens a stream, falling back across routes until one produces its first content; from then on the stream is
   * committed to that route, and continued on the next one if it fails mid-answer (LLM_STREAM_CONTINUATION).
   */
  async stream(request: Request, options: CallOptions = {}): Promise<StreamSession> {
    const ledger = this.openLedger(options);
    const walk = this.walkOf(options);
    let first;
    try {
      first = await this.streams.open(request, ledger, walk);
    } catch (error) {
      ledger.close(outcomeOf(error));
      throw error;
    }
    const continuation =
      this.policy.streamContinuation === 'on'
        ? {
            request,
            walk,
            maxContinuations: Math.max(1, this.routeStates.forChain(options.chain).routes.length),
          }
        : undefined;
    const events = this.streams.session(first, ledger, {
      continuation,
      deadline: this.streamDeadline(),
    });
    return { meta: first.meta, events: closing(ledger, events) };
  }

  /** One plain call over the chain, recorded in `ledger`; hedged when LLM_HEDGE_AFTER_MS is set and it has no tools. */
  private async call<T>(
    request: Request,
    interpret: Interpret<T>,
    ledger: RequestLedger,
    walk: StreamWalk & Pick<WalkOptions, 'failed'>,
  ): Promise<LlmResult<T>> {
    let current: Route | undefined;
    const spend = spendAsk(request, this.limits.maxOutputTokens);
    const walkOnce = (signal: AbortSignal | undefined, skip: Route | undefined) =>
      this.loop.walk(
        ledger,
        { ...walk, signal, skip, mode: 'call', spend },
        async ({ route, provider, timeoutMs, output }) => {
          if (skip === undefined) current = route;
          const attempt = await attemptRoute(
            provider,
            route,
            withOutputLimit(request, output),
            interpret,
            timeoutMs,
            signal,
          );
          return {
            value: attempt.value,
            usage: attempt.response.usage,
            key: attempt.response.key,
          };
        },
      );
    const walked =
      this.hedger.enabled && !request.tools?.length
        ? await this.hedger.run(walkOnce, walk.signal, () => current)
        : await walkOnce(walk.signal, undefined);
    const usage = walked.usage ?? { inputTokens: 0, outputTokens: 0 };
    // Read again: a hedge's losing walk is charged after the winner's meta was taken.
    return { value: walked.value, meta: { ...walked.meta, spent: ledger.spent(), usage } };
  }

  /** Runs `work` as one request: its ledger is opened here and closed here, once, with the request's outcome. */
  private async owned<T>(
    options: CallOptions,
    work: (ledger: RequestLedger, walk: StreamWalk) => Promise<T>,
  ): Promise<T> {
    const ledger = this.openLedger(options);
    try {
      const result = await work(ledger, this.walkOf(options));
      ledger.close('success');
      return result;
    } catch (error) {
      ledger.close(outcomeOf(error));
      throw error;
    }
  }

  private openLedger(options: CallOptions): RequestLedger {
    return new RequestLedger({
      metrics: this.metrics,
      clock: this.clock,
      logger: this.logger,
      tag: tagOf(options),
    });
  }

  /** A request's walk: its chain, whose content it is, its deadline and its caller's signal. */
  private walkOf(options: CallOptions): StreamWalk {
    const timeoutMs = Math.min(this.timeouts.requestMs, options.timeoutMs ?? Infinity);
    const content = options.content ?? 'own';
    return {
      chain: options.chain,
      content,
      routing:
        content === 'caller' && this.policy.gatewayRouting === 'separate' ? 'gateway' : 'service',
      deadline: this.clock.now() + timeoutMs,
      signal: options.signal,
    };
  }

  /** A stream request, from its start, may not run longer than LLM_STREAM_MAX_DURATION_MS. */
  private streamDeadline(): number {
    return this.clock.now() + this.timeouts.streamMaxDurationMs;
  }
}

function tagOf(options: CallOptions): string {
  return options.requestId ? ` [request ${options.requestId}]` : '';
}
