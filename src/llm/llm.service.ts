import { Inject, Injectable, Logger } from '@nestjs/common';
import { Attributes, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ClassConstructor } from 'class-transformer';
import { jsonSchemaFor } from '../common/json-schema';
import { attemptRoute, Interpret, interpretAs } from './fallback/attempt';
import { AttemptLedger } from './fallback/request-ledger';
import { decideAfterFailure, failureEffects } from './fallback/failure-policy';
import { LLM_CONFIG, LlmConfig } from './config/llm.config';
import { LlmMetrics } from './status/llm-metrics.service';
import {
  ContentFilteredError,
  FailureKind,
  ProviderError,
  RequestAbortedError,
} from './llm.errors';
import { LLM_PROVIDERS } from './llm.tokens';
import {
  LlmCallMeta,
  LlmProvider,
  LlmResult,
  ProviderRequest,
  SamplingParameter,
  TokenUsage,
} from './llm.types';
import { ProviderSlots, Release } from './fallback/provider-slots';
import { ChainState } from './route-state/chain-state';
import { RouteStateRegistry } from './route-state/route-state.registry';
import { ProviderName, Route, routeAllowed, routeLabel, sameRoute } from './routes';
import { estimateInputTokens } from './fallback/token-estimate';
import { continueStream, openStream, OpenedStream, StreamSession } from './streaming/stream-session';
import {
  continuationRequest,
  continuingStream,
  ContinuationMethod,
  PrefillSupport,
  Reopened,
} from './streaming/stream-continuation';

/** The least time worth starting an attempt with (capped by the attempt timeout). */
const MIN_ATTEMPT_MS = 1_000;

export interface CallOptions {
  /** Aborted when the caller goes away; the loop then stops at once. */
  signal?: AbortSignal;
  /** Correlates log lines of one HTTP request. */
  requestId?: string;
  /** A per-request chain instead of the configured one; stickiness is kept per distinct chain. */
  chain?: readonly Route[];
  /**
   * A route that already failed this request outside the loop (a stream cut after its first content): it is tried
   * last, and moving away from it is sticky, as for a failure inside the loop.
   */
  failed?: { route: Route; kind: FailureKind };
  /**
   * Whose words the request carries: the caller's (`/v1`: a content-policy refusal is not sent on to other
   * vendors unless LLM_FALLBACK_ON_CONTENT_FILTER=true) or the service's own prompts (default: it falls over).
   */
  content?: 'caller' | 'own';
  /** A deadline shorter than LLM_REQUEST_TIMEOUT_MS, in milliseconds from the call (a pipeline's remaining time). */
  timeoutMs?: number;
  /**
   * For `stream`: whether a failure after content was sent continues on the next route (LLM_STREAM_CONTINUATION,
   * default on). `streamObject` turns it off: it validates the whole object and restarts without streaming instead.
   */
  continueStreams?: boolean;
}

export interface GenerateObjectParams<T extends object> extends CallOptions {
  /** The DTO class: validates the output and gives the JSON Schema for native structured output. */
  schema: ClassConstructor<T>;
  /** Name of the structured output (tool or schema name); letters, digits, _ and -. */
  schemaName: string;
  system: string;
  prompt: string;
  maxOutputTokens?: number;
  temperature?: number;
}

/** Limits on what a caller may spend in one request. */
export interface CallerLimits {
  maxRequestFallbacks: number;
  maxOutputTokens: number;
  maxInputTokens: number;
  /** Whether a caller may name this route (the configured chain, or LLM_ALLOWED_ROUTES). */
  allows(route: Route): boolean;
}

/** Progress of a streamed object (`streamObject`). */
export interface StreamObjectHandlers {
  /** The stream committed to a route: its first content arrived. */
  onStart?(meta: Omit<LlmCallMeta, 'usage'>): void;
  /** The answer's text so far (partial JSON), after each delta. */
  onText?(text: string): void;
  /**
   * The streamed answer failed after its first content, or did not validate at its end; the chain then serves the
   * request without streaming, and whatever was shown from the stream is to be replaced.
   */
  onRestart?(reason: FailureKind): void;
}

/** What one successful attempt hands back to the loop. */
interface AttemptSuccess<T> {
  value: T;
  usage: TokenUsage | undefined;
}

type AttemptOnRoute<T> = (
  route: Route,
  provider: LlmProvider,
  timeoutMs: number,
) => Promise<AttemptSuccess<T>>;

interface Walked<T> {
  value: AttemptSuccess<T>;
  meta: Omit<LlmCallMeta, 'usage'>;
  route: Route;
  index: number;
  state: ChainState;
  release: Release;
  /** The request's input, estimated once: what a failure (also a stream's, later) is charged. */
  estimatedInputTokens: number;
}

/**
 * The fallback loop, written once: walk the routes in order, apply the failure policy after each failed attempt,
 * record every attempt, and end in a result or `AllRoutesFailedError`. The only retry loop in the process (the SDK
 * clients are built with `maxRetries: 0`); it owns backoff, Retry-After, attempt timeouts and the request deadline.
 */
@Injectable()
export class LlmService {
  private readonly logger = new Logger(LlmService.name);
  private readonly providers: Map<ProviderName, LlmProvider>;
  private readonly slots: ProviderSlots;
  private readonly minAttemptMs: number;
  private readonly prefill = new PrefillSupport();

  constructor(
    @Inject(LLM_PROVIDERS) providers: LlmProvider[],
    @Inject(LLM_CONFIG) private readonly config: LlmConfig,
    private readonly routeStates: RouteStateRegistry,
    private readonly metrics: LlmMetrics,
  ) {
    this.providers = new Map(providers.map((provider) => [provider.name, provider]));
    this.slots = new ProviderSlots(
      providers.map((provider) => provider.name),
      config.maxConcurrency,
      config.queueSize,
    );
    this.minAttemptMs = Math.min(MIN_ATTEMPT_MS, config.attemptTimeoutMs);
  }

  /** The configured chain's routes that have a key, primary first. */
  routes(): readonly Route[] {
    return this.routeStates.defaultState.routes;
  }

  /** What a caller of the OpenAI-compatible endpoint may ask for (LLM_ALLOWED_ROUTES and the LLM_MAX_* limits). */
  callerLimits(): CallerLimits {
    const { allowedRoutes, maxRequestFallbacks, maxOutputTokens, maxInputTokens, chain } =
      this.config;
    return {
      maxRequestFallbacks,
      maxOutputTokens,
      maxInputTokens,
      allows: (route) => routeAllowed(route, chain, allowedRoutes),
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
   * after its first content, or whose answer does not validate, is served by `generateObject` over the chain
   * (`onRestart` first), and its attempt is listed with the failure.
   */
  async streamObject<T extends object>(
    params: GenerateObjectParams<T>,
    handlers: StreamObjectHandlers = {},
  ): Promise<LlmResult<T>> {
    const session = await this.stream(objectRequest(params), {
      ...params,
      continueStreams: false,
    });
    handlers.onStart?.(session.meta);
    let text = '';
    let usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
    try {
      for await (const event of session.events) {
        if (event.type === 'end') {
          usage = event.usage;
          continue;
        }
        if (event.type !== 'text') continue; // objects are asked for without tools
        text += event.text;
        handlers.onText?.(text);
      }
      const value = await interpretAs(params.schema)({ text, usage, finish: 'stop' }, session.meta);
      return { value, meta: { ...session.meta, usage } };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      handlers.onRestart?.(error.kind);
      const streamed = session.meta.attempts.map((attempt, index, all) =>
        index === all.length - 1 ? { ...attempt, outcome: error.kind } : attempt,
      );
      const result = await this.generateObject({
        ...params,
        failed: { route: session.meta, kind: error.kind },
      });
      return {
        value: result.value,
        meta: { ...result.meta, attempts: [...streamed, ...result.meta.attempts] },
      };
    }
  }

  /** Runs one request through the chain. `interpret` decides whether an answer is usable. */
  async run<T>(
    request: Omit<ProviderRequest, 'model'>,
    interpret: Interpret<T>,
    options: CallOptions = {},
  ): Promise<LlmResult<T>> {
    const started = this.config.clock.now();
    if (this.config.logPrompts) {
      this.logger.debug(`Prompt${tagOf(options)}: ${JSON.stringify(request.messages)}`);
    }
    const { value, meta, route } = await this.walk(
      request,
      options,
      async (target, provider, timeoutMs) => {
        const attempt = await attemptRoute(
          provider,
          target,
          request,
          interpret,
          timeoutMs,
          options.signal,
        );
        return { value: attempt.value, usage: attempt.response.usage };
      },
    );
    this.metrics.request('success', this.config.clock.now() - started);
    const usage = value.usage ?? { inputTokens: 0, outputTokens: 0 };
    this.metrics.usage(route, usage);
    return { value: value.value, meta: { ...meta, usage } };
  }

  /**
   * Opens a stream, falling back across routes until one produces its first content; from then on the stream is
   * committed to that route.
   */
  async stream(
    request: Omit<ProviderRequest, 'model'>,
    options: CallOptions = {},
  ): Promise<StreamSession> {
    const started = this.config.clock.now();
    const walked = await this.walk<OpenedStream>(
      request,
      options,
      async (route, provider, timeoutMs) => ({
        value: await openStream(
          route,
          provider,
          request,
          this.firstTokenMs(timeoutMs),
          options.signal,
        ),
        usage: undefined,
      }),
      true,
    );
    const { value, route, index, state, release } = walked;
    const first = { opened: value.value, route, index, state, started, release };
    const context = {
      idleTimeoutMs: this.config.streamIdleTimeoutMs,
      maxDurationMs: this.config.streamMaxDurationMs,
      estimatedInputTokens: walked.estimatedInputTokens,
      metrics: this.metrics,
      clock: this.config.clock,
      logger: this.logger,
    };
    const events =
      this.config.streamContinuation === 'on' && options.continueStreams !== false
        ? continuingStream(
            first,
            context,
            (partial, failedRoute, error) =>
              this.reopen(request, options, partial, failedRoute, error, started),
            Math.max(1, this.routeStates.forChain(options.chain).routes.length),
          )
        : continueStream(first, context);
    return { meta: walked.meta, events };
  }

  /** A stream's wait for its first content: the first-token timeout, within the attempt's own. */
  private firstTokenMs(attemptTimeoutMs: number): number {
    return Math.min(attemptTimeoutMs, this.config.firstTokenTimeoutMs);
  }

  /**
   * Opens the continuation of a stream that failed on `failedRoute` after sending `partial`: the chain walked again
   * with that route last, each route asked by prefill where it takes one, else by instruction. A prefill the route
   * rejects (a 400) is retried at once with the instruction, so a prefill rejection never becomes the caller's error.
   */
  private async reopen(
    request: Omit<ProviderRequest, 'model'>,
    options: CallOptions,
    partial: string,
    failedRoute: Route,
    error: ProviderError,
    started: number,
  ): Promise<Reopened> {
    let method: ContinuationMethod = 'instruction';
    const open = (
      route: Route,
      provider: LlmProvider,
      timeoutMs: number,
      how: ContinuationMethod,
    ) =>
      openStream(
        route,
        provider,
        continuationRequest(request, partial, how),
        this.firstTokenMs(timeoutMs),
        options.signal,
      );
    const walked = await this.walk<OpenedStream>(
      request,
      { ...options, failed: { route: failedRoute, kind: error.kind } },
      async (route, provider, timeoutMs) => {
        if (this.prefill.accepts(route)) {
          try {
            const opened = await open(route, provider, timeoutMs, 'prefill');
            method = 'prefill';
            return { value: opened, usage: undefined };
          } catch (failure) {
            if (!(failure instanceof ProviderError) || failure.kind !== 'bad_request')
              throw failure;
            this.prefill.rejected(route);
            this.logger.warn(
              `${routeLabel(route)} rejected an assistant prefill; continuing by instruction`,
            );
          }
        }
        method = 'instruction';
        return { value: await open(route, provider, timeoutMs, 'instruction'), usage: undefined };
      },
      true,
      false,
    );
    const { value, route, index, state, release } = walked;
    return { stream: { opened: value.value, route, index, state, started, release }, method };
  }

  /** The loop shared by `run` and `stream`. Streams keep their provider slot; the session releases it. */
  private async walk<T>(
    request: Omit<ProviderRequest, 'model'>,
    options: CallOptions,
    attemptOnRoute: AttemptOnRoute<T>,
    keepSlot = false,
    recordRequest = true,
  ): Promise<Walked<T>> {
    const { clock } = this.config;
    const started = clock.now();
    const deadline =
      started + Math.min(this.config.requestTimeoutMs, options.timeoutMs ?? Infinity);
    const state = this.routeStates.forChain(options.chain);
    const plan = state.plan();
    const estimatedInputTokens = estimateInputTokens(request.messages);
    const ledger = new AttemptLedger(
      state,
      this.metrics,
      this.logger,
      tagOf(options),
      estimatedInputTokens,
    );
    const failedKind = options.failed?.kind;
    if (failedKind && failureEffects(failedKind).movesSticky === 'yes')
      ledger.unavailable = failedKind;
    const fail = (reason: 'deadline' | 'exhausted' | 'no_route'): never => {
      if (recordRequest) this.metrics.request('failed', clock.now() - started);
      throw ledger.allFailed(reason);
    };

    for (const { route, index } of lastIfFailed(plan.routes, options.failed?.route)) {
      const provider = this.providers.get(route.provider);
      if (!provider?.configured || state.isDisabled(route)) continue;
      ledger.startRoute(route);
      for (let retriesOnRoute = 0; ; retriesOnRoute += 1) {
        if (deadline - clock.now() < this.minAttemptMs) return fail('deadline');
        ledger.calling(route);
        const waitMs = Math.min(
          this.config.queueTimeoutMs,
          deadline - clock.now() - this.minAttemptMs,
        );
        const slot = await this.slots.acquire(route.provider, waitMs);
        if (!slot) {
          ledger.shed(route);
          break;
        }
        const release = this.metrics.inFlight(route, slot);
        const timeoutMs = Math.max(
          1,
          Math.floor(Math.min(this.config.attemptTimeoutMs, deadline - clock.now())),
        );
        let outcome: Awaited<ReturnType<typeof this.attempt<T>>>;
        try {
          outcome = await this.attempt(
            route,
            index,
            provider,
            timeoutMs,
            attemptOnRoute,
            ledger,
            keepSlot,
          );
        } catch (error) {
          release();
          throw error;
        }
        if (!keepSlot || outcome.error) release();
        if (!outcome.error) {
          state.recordSuccess(plan, index, ledger.unavailable);
          const meta = ledger.meta(route, index, clock.now() - started);
          return {
            value: outcome.value,
            meta,
            route,
            index,
            state,
            release,
            estimatedInputTokens,
          };
        }
        const error = outcome.error;
        if (error.kind === 'content_blocked' && !this.fallsOverOnRefusal(options)) {
          this.metrics.request('failed', clock.now() - started);
          throw new ContentFilteredError(
            route.provider,
            route.model,
            error.reason ?? 'content_blocked',
            ledger.attempts,
          );
        }
        const decision = decideAfterFailure(error, {
          retriesOnRoute,
          remainingMs: deadline - clock.now(),
          minAttemptMs: this.minAttemptMs,
          random: () => clock.random(),
        });
        ledger.decided(route, error, decision);
        if (decision.action === 'next_route') {
          if (decision.disableRoute) state.disable(route, describeFailure(error));
          break;
        }
        await this.pause(decision.delayMs, options.signal);
      }
    }
    return fail(plan.routes.length === 0 ? 'no_route' : 'exhausted');
  }

  /**
   * One attempt on one route, in its own trace span (GenAI attributes), recorded in the ledger. A ProviderError comes
   * back as `error`; a caller that left (RequestAbortedError) and anything unexpected are thrown.
   */
  private attempt<T>(
    route: Route,
    index: number,
    provider: LlmProvider,
    timeoutMs: number,
    attemptOnRoute: AttemptOnRoute<T>,
    ledger: AttemptLedger,
    streaming: boolean,
  ): Promise<{ value: AttemptSuccess<T>; error?: undefined } | { error: ProviderError }> {
    const { clock } = this.config;
    return tracer.startActiveSpan(
      `chat ${route.model}`,
      { kind: SpanKind.CLIENT, attributes: genAiAttributes(route) },
      async (span) => {
        const attemptStarted = clock.now();
        try {
          const value = await attemptOnRoute(route, provider, timeoutMs);
          ledger.success(
            route,
            index,
            clock.now() - attemptStarted,
            streaming ? 'at_stream_end' : value.usage,
          );
          span.setAttribute('gen_ai.response.model', route.model);
          if (value.usage) {
            span.setAttribute('gen_ai.usage.input_tokens', value.usage.inputTokens);
            span.setAttribute('gen_ai.usage.output_tokens', value.usage.outputTokens);
          }
          return { value };
        } catch (error) {
          if (error instanceof RequestAbortedError) {
            ledger.aborted(route, clock.now() - attemptStarted);
            this.metrics.request('client_aborted', clock.now() - attemptStarted);
            span.setAttribute('error.type', 'client_aborted');
            span.setStatus({ code: SpanStatusCode.ERROR, message: 'client_aborted' });
            throw error;
          }
          if (!(error instanceof ProviderError)) throw error;
          ledger.failure(route, index, error, clock.now() - attemptStarted);
          span.setAttribute('error.type', error.kind);
          if (error.status !== undefined)
            span.setAttribute('http.response.status_code', error.status);
          span.setStatus({ code: SpanStatusCode.ERROR, message: error.kind });
          return { error };
        } finally {
          span.end();
        }
      },
    );
  }

  private fallsOverOnRefusal(options: CallOptions): boolean {
    const policy = this.config.fallbackOnContentFilter;
    return options.content === 'caller' ? policy.callerContent : policy.ownPrompts;
  }

  private async pause(delayMs: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.config.clock.sleep(delayMs, signal);
    } catch {
      throw new RequestAbortedError();
    }
  }
}

function objectRequest<T extends object>(
  params: GenerateObjectParams<T>,
): Omit<ProviderRequest, 'model'> {
  return {
    messages: [
      { role: 'system', content: params.system },
      { role: 'user', content: params.prompt },
    ],
    responseFormat: {
      type: 'json_schema',
      name: params.schemaName,
      schema: jsonSchemaFor(params.schema),
    },
    maxOutputTokens: params.maxOutputTokens,
    temperature: params.temperature,
  };
}

/** The plan with a route that already failed this request moved to its end. */
function lastIfFailed<T extends { route: Route }>(planned: T[], failed: Route | undefined): T[] {
  if (!failed) return planned;
  const isFailed = (entry: T) => sameRoute(entry.route, failed);
  return [...planned.filter((entry) => !isFailed(entry)), ...planned.filter(isFailed)];
}

const tracer = trace.getTracer('resilient-llm-backend/llm');

/** OpenTelemetry GenAI semantic-convention attributes of an attempt on `route`. */
function genAiAttributes(route: Route): Attributes {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': route.provider === 'gemini' ? 'gcp.gemini' : route.provider,
    'gen_ai.system': route.provider,
    'gen_ai.request.model': route.model,
  };
}

function describeFailure(error: ProviderError): string {
  return error.status === undefined ? error.kind : `${error.kind} (${error.status})`;
}

function tagOf(options: CallOptions): string {
  return options.requestId ? ` [request ${options.requestId}]` : '';
}
