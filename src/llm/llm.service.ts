import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ClassConstructor } from 'class-transformer';
import { setTimeout as sleep } from 'node:timers/promises';
import { appConfig } from '../config/app.config';
import { llmConfig } from '../config/llm.config';
import { AttemptControl, attemptRoute, Interpret, interpretAs } from './attempt';
import { ConcurrencyLimiter, Release } from './concurrency-limiter';
import { decideAfterFailure } from './failure-policy';
import { LlmMetrics } from './llm-metrics.service';
import {
  AllRoutesFailedError,
  FailureKind,
  ProviderError,
  RequestAbortedError,
} from './llm.errors';
import { LLM_PROVIDERS } from './llm.tokens';
import {
  AttemptRecord,
  LlmCallMeta,
  LlmProvider,
  LlmResult,
  ProviderRequest,
  StreamEvent,
  TokenUsage,
} from './llm.types';
import { RouteStateRegistry } from './route-state.registry';
import { RouteStateService } from './route-state.service';
import { ProviderName, Route, routeLabel } from './routes';
import { jsonSchemaFor } from './structured-output';

/** The least time worth starting an attempt with (capped by the attempt timeout). */
const MIN_ATTEMPT_MS = 1_000;
/** Retry-After sent with an all-routes-failed answer when no provider said when to come back. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;
const MAX_RETRY_AFTER_SECONDS = 60;

export interface CallOptions {
  /** Aborted when the caller goes away; the loop then stops at once. */
  signal?: AbortSignal;
  /** Correlates log lines of one HTTP request. */
  requestId?: string;
  /** A per-request chain instead of the configured one; stickiness is kept per distinct chain. */
  chain?: readonly Route[];
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

/**
 * The fallback loop, written once: walk the routes in order, apply the failure policy after each failed attempt,
 * record every attempt, and end in a result or `AllRoutesFailedError`. The only retry loop in the process (the SDK
 * clients are built with `maxRetries: 0`); it owns backoff, Retry-After, attempt timeouts and the request deadline.
 */
@Injectable()
export class LlmService {
  private readonly logger = new Logger(LlmService.name);
  private readonly providers: Map<ProviderName, LlmProvider>;
  private readonly limiters = new Map<ProviderName, ConcurrencyLimiter>();
  private readonly logPrompts: boolean;

  constructor(
    @Inject(LLM_PROVIDERS) providers: LlmProvider[],
    @Inject(llmConfig.KEY) private readonly config: ConfigType<typeof llmConfig>,
    private readonly routeStates: RouteStateRegistry,
    private readonly metrics: LlmMetrics,
    @Inject(appConfig.KEY) app: Pick<ConfigType<typeof appConfig>, 'logLevel'>,
  ) {
    // Prompts are logged at debug level only; the check also skips serialising them otherwise.
    this.logPrompts = app.logLevel === 'debug';
    this.providers = new Map(providers.map((provider) => [provider.name, provider]));
    for (const provider of providers) {
      this.limiters.set(
        provider.name,
        new ConcurrencyLimiter(config.maxConcurrency, config.queueSize),
      );
    }
  }

  /** Generates an object validated against `params.schema`, falling back across routes. */
  async generateObject<T extends object>(params: GenerateObjectParams<T>): Promise<LlmResult<T>> {
    return this.run(
      {
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
      },
      interpretAs(params.schema),
      params,
    );
  }

  /** Runs one request through the chain. `interpret` decides whether an answer is usable. */
  async run<T>(
    request: Omit<ProviderRequest, 'model'>,
    interpret: Interpret<T>,
    options: CallOptions = {},
  ): Promise<LlmResult<T>> {
    const started = performance.now();
    if (this.logPrompts) {
      this.logger.debug(`Prompt${tagOf(options)}: ${JSON.stringify(request.messages)}`);
    }
    const { value, meta, route } = await this.walk(options, async (target, provider, timeoutMs) => {
      const { value: result, response } = await attemptRoute(
        provider,
        target,
        request,
        interpret,
        timeoutMs,
        options.signal,
      );
      return { value: result, usage: response.usage };
    });
    this.metrics.request('success', performance.now() - started);
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
    const started = performance.now();
    const { value, meta, route, index, state, release } = await this.walk(
      options,
      (target, provider, timeoutMs) =>
        this.openStream(target, provider, request, timeoutMs, options.signal),
      true,
    );
    const events = this.continueStream(value.value, route, index, state, started, release);
    return { meta, events };
  }

  /** The loop shared by `run` and `stream`. */
  private async walk<T>(
    options: CallOptions,
    attemptOnRoute: AttemptOnRoute<T>,
    /** Streams keep their provider slot after the loop; the caller releases it when the stream ends. */
    keepSlot = false,
  ): Promise<{
    value: AttemptSuccess<T>;
    meta: Omit<LlmCallMeta, 'usage'>;
    route: Route;
    index: number;
    state: RouteStateService;
    release: Release;
  }> {
    const started = performance.now();
    const deadline = started + this.config.requestTimeoutMs;
    const tag = tagOf(options);
    const minAttemptMs = Math.min(MIN_ATTEMPT_MS, this.config.attemptTimeoutMs);
    const state = this.routeStates.forChain(options.chain);
    const plan = state.plan();
    const attempts: AttemptRecord[] = [];
    const retryHintsMs: number[] = [];
    let firstFailure: FailureKind | undefined;
    let lastFailed: { route: Route; kind: FailureKind } | undefined;

    for (const { route, index } of plan.routes) {
      if (state.isDisabled(route)) continue;
      const provider = this.providers.get(route.provider);
      if (!provider?.configured) continue;
      if (lastFailed) {
        this.logger.warn(`Falling back to ${routeLabel(route)}${tag}`);
        this.metrics.fallback(lastFailed.route, route, lastFailed.kind);
      }
      let retriesOnRoute = 0;
      for (;;) {
        const remainingMs = deadline - performance.now();
        if (remainingMs < minAttemptMs)
          return this.fail(started, attempts, retryHintsMs, 'deadline', tag);
        const attemptStarted = performance.now();
        this.logger.log(`Calling ${routeLabel(route)} (attempt ${attempts.length + 1})${tag}`);
        const release = await this.limiters
          .get(route.provider)
          ?.acquire(Math.min(this.config.queueTimeoutMs, remainingMs - minAttemptMs));
        if (!release) {
          // Our own limit, not the provider's failure: the circuit does not count it.
          attempts.push({
            provider: route.provider,
            model: route.model,
            outcome: 'overloaded',
            durationMs: 0,
          });
          this.metrics.attempt(route, 'overloaded', 0);
          lastFailed = { route, kind: 'overloaded' };
          this.logger.warn(
            `${routeLabel(route)} is at its concurrency limit; trying next route${tag}`,
          );
          break;
        }
        const timeoutMs = Math.max(
          1,
          Math.floor(Math.min(this.config.attemptTimeoutMs, deadline - performance.now())),
        );
        let keep = false;
        try {
          const value = await attemptOnRoute(route, provider, timeoutMs);
          keep = keepSlot;
          const durationMs = Math.round(performance.now() - attemptStarted);
          attempts.push({
            provider: route.provider,
            model: route.model,
            outcome: 'success',
            durationMs,
          });
          this.logger.log(`${routeLabel(route)} took ${(durationMs / 1000).toFixed(2)}s${tag}`);
          state.recordAttempt(index, 'success');
          state.recordSuccess(plan, index, firstFailure);
          this.metrics.attempt(route, 'success', durationMs);
          const meta = {
            provider: route.provider,
            model: route.model,
            fallbackUsed: index !== 0,
            attempts,
            durationMs: Math.round(performance.now() - started),
          };
          return { value, meta, route, index, state, release };
        } catch (error) {
          if (!(error instanceof ProviderError)) throw error;
          const durationMs = Math.round(performance.now() - attemptStarted);
          attempts.push({
            provider: route.provider,
            model: route.model,
            outcome: error.kind,
            ...(error.status === undefined ? {} : { status: error.status }),
            durationMs,
          });
          firstFailure ??= error.kind;
          lastFailed = { route, kind: error.kind };
          state.recordAttempt(index, error.kind);
          this.metrics.attempt(route, error.kind, durationMs);
          if (error.retryAfterMs !== undefined) retryHintsMs.push(error.retryAfterMs);
          const decision = decideAfterFailure(error, {
            retriesOnRoute,
            remainingMs: deadline - performance.now(),
            minAttemptMs,
          });
          const status = error.status === undefined ? '' : ` (${error.status})`;
          if (decision.action === 'retry_same_route') {
            this.logger.warn(
              `${routeLabel(route)} ${error.kind}${status}; retrying in ${(decision.delayMs / 1000).toFixed(2)}s (${decision.why})${tag}`,
            );
            await this.pause(decision.delayMs, options.signal);
            retriesOnRoute += 1;
            continue;
          }
          this.logger.warn(`${routeLabel(route)} ${error.kind}${status}; trying next route${tag}`);
          this.logger.debug(`${error.message}${tag}`);
          if (decision.disableRoute) state.disable(route, `${error.kind}${status}`);
          break;
        } finally {
          if (!keep) release();
        }
      }
    }
    return this.fail(
      started,
      attempts,
      retryHintsMs,
      plan.routes.length === 0 ? 'no_route' : 'exhausted',
      tag,
    );
  }

  /** Opens a provider stream and reads until its first content (or its end) under the attempt timeout. */
  private async openStream(
    route: Route,
    provider: LlmProvider,
    request: Omit<ProviderRequest, 'model'>,
    timeoutMs: number,
    callerSignal: AbortSignal | undefined,
  ): Promise<AttemptSuccess<OpenedStream>> {
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
        if (next.value.type === 'end' || next.value.text.length > 0) break;
      }
    } catch (error) {
      throw control.classify(error);
    } finally {
      control.disarm();
    }
    return { value: { buffered, iterator, control }, usage: undefined };
  }

  /** The committed rest of a stream, with the idle timeout, and metrics at its end or failure. */
  private async *continueStream(
    opened: OpenedStream,
    route: Route,
    index: number,
    state: RouteStateService,
    started: number,
    release: Release,
  ): AsyncIterable<StreamEvent> {
    const { buffered, iterator, control } = opened;
    let finished = false;
    try {
      for (const event of buffered) {
        yield event;
        if (event.type === 'end') {
          finished = true;
          this.completeStream(route, event.usage, started);
          return;
        }
      }
      for (;;) {
        control.arm(this.config.streamIdleTimeoutMs);
        let next: IteratorResult<StreamEvent>;
        try {
          next = await iterator.next();
        } catch (error) {
          throw control.classify(error, 'stream stalled');
        } finally {
          control.disarm();
        }
        if (next.done) return;
        yield next.value;
        if (next.value.type === 'end') {
          finished = true;
          this.completeStream(route, next.value.usage, started);
          return;
        }
      }
    } catch (error) {
      if (error instanceof ProviderError) {
        this.logger.warn(
          `${routeLabel(route)} failed mid-stream: ${error.kind}; the answer is incomplete`,
        );
        state.recordAttempt(index, error.kind);
        this.metrics.attempt(route, error.kind, performance.now() - started);
        this.metrics.request('failed', performance.now() - started);
      }
      throw error;
    } finally {
      if (!finished) control.cancel();
      release();
    }
  }

  private completeStream(route: Route, usage: TokenUsage, started: number): void {
    this.metrics.usage(route, usage);
    this.metrics.request('success', performance.now() - started);
  }

  private async pause(delayMs: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await sleep(delayMs, undefined, { signal });
    } catch {
      throw new RequestAbortedError();
    }
  }

  private fail(
    started: number,
    attempts: AttemptRecord[],
    retryHintsMs: number[],
    reason: AllRoutesFailedError['reason'],
    tag: string,
  ): never {
    const summary = attempts
      .map((attempt) => `${attempt.provider}/${attempt.model}=${attempt.outcome}`)
      .join(', ');
    this.metrics.request('failed', performance.now() - started);
    this.logger.error(`All routes failed (${reason})${tag}: ${summary || 'no attempt made'}`);
    throw new AllRoutesFailedError(attempts, this.retryAfterSeconds(retryHintsMs), reason);
  }

  /** The soonest time a provider said it would take requests again, else a short default; 1–60 s. */
  private retryAfterSeconds(providerHintsMs: number[]): number {
    if (providerHintsMs.length === 0) return DEFAULT_RETRY_AFTER_SECONDS;
    const seconds = Math.ceil(Math.min(...providerHintsMs) / 1000);
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds));
  }
}

interface OpenedStream {
  buffered: StreamEvent[];
  iterator: AsyncIterator<StreamEvent>;
  control: AttemptControl;
}

function tagOf(options: CallOptions): string {
  return options.requestId ? ` [request ${options.requestId}]` : '';
}
