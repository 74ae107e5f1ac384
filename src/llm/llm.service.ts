import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ClassConstructor } from 'class-transformer';
import { setTimeout as sleep } from 'node:timers/promises';
import { llmConfig } from '../config/llm.config';
import { decideAfterFailure } from './failure-policy';
import {
  AllRoutesFailedError,
  FailureKind,
  ProviderError,
  RequestAbortedError,
} from './llm.errors';
import { LLM_PROVIDERS } from './llm.tokens';
import {
  AttemptRecord,
  ChatMessage,
  LlmProvider,
  LlmResult,
  ProviderRequest,
  ProviderResponse,
} from './llm.types';
import { LlmMetrics } from './llm-metrics.service';
import { RouteStateService } from './route-state.service';
import { ProviderName, Route, routeLabel } from './routes';
import { jsonSchemaFor } from './structured-output';
import { attemptRoute, Interpret, interpretAs } from './attempt';

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

/**
 * The fallback loop, written once: walk the routes in order, apply the failure policy after each failed attempt,
 * record every attempt, and end in a result or `AllRoutesFailedError`. The only retry loop in the process (the SDK
 * clients are built with `maxRetries: 0`); it owns backoff, Retry-After, attempt timeouts and the request deadline.
 */
@Injectable()
export class LlmService {
  private readonly logger = new Logger(LlmService.name);
  private readonly providers: Map<ProviderName, LlmProvider>;

  constructor(
    @Inject(LLM_PROVIDERS) providers: LlmProvider[],
    @Inject(llmConfig.KEY) private readonly config: ConfigType<typeof llmConfig>,
    private readonly routeState: RouteStateService,
    private readonly metrics: LlmMetrics,
  ) {
    this.providers = new Map(providers.map((provider) => [provider.name, provider]));
  }

  /** Generates an object validated against `params.schema`, falling back across routes. */
  async generateObject<T extends object>(params: GenerateObjectParams<T>): Promise<LlmResult<T>> {
    const messages: ChatMessage[] = [
      { role: 'system', content: params.system },
      { role: 'user', content: params.prompt },
    ];
    return this.run(
      {
        messages,
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
    const deadline = started + this.config.requestTimeoutMs;
    const tag = options.requestId ? ` [request ${options.requestId}]` : '';
    const minAttemptMs = Math.min(MIN_ATTEMPT_MS, this.config.attemptTimeoutMs);
    const plan = this.routeState.plan();
    const attempts: AttemptRecord[] = [];
    const retryHintsMs: number[] = [];
    let firstFailure: FailureKind | undefined;
    let lastFailed: { route: Route; kind: FailureKind } | undefined;
    this.logger.debug(`Prompt${tag}: ${JSON.stringify(request.messages)}`);

    for (const { route, index } of plan.routes) {
      if (this.routeState.isDisabled(route)) continue;
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
        try {
          const { value, response } = await this.attempt(
            route,
            request,
            interpret,
            remainingMs,
            options.signal,
          );
          const durationMs = Math.round(performance.now() - attemptStarted);
          attempts.push({
            provider: route.provider,
            model: route.model,
            outcome: 'success',
            durationMs,
          });
          this.logger.log(`${routeLabel(route)} took ${(durationMs / 1000).toFixed(2)}s${tag}`);
          this.routeState.recordAttempt(index, 'success');
          this.routeState.recordSuccess(plan, index, firstFailure);
          this.metrics.attempt(route, 'success', durationMs);
          this.metrics.usage(route, response.usage);
          this.metrics.request('success', performance.now() - started);
          return {
            value,
            meta: {
              provider: route.provider,
              model: route.model,
              fallbackUsed: index !== 0,
              attempts,
              usage: response.usage,
              durationMs: Math.round(performance.now() - started),
            },
          };
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
          this.routeState.recordAttempt(index, error.kind);
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
          if (decision.disableRoute) this.routeState.disable(route, `${error.kind}${status}`);
          break;
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

  /** One call to one route, bounded by the attempt timeout and the remaining request time. */
  private async attempt<T>(
    route: Route,
    request: Omit<ProviderRequest, 'model'>,
    interpret: Interpret<T>,
    remainingMs: number,
    callerSignal: AbortSignal | undefined,
  ): Promise<{ value: T; response: ProviderResponse }> {
    const provider = this.providers.get(route.provider);
    if (!provider)
      throw new ProviderError(route, { kind: 'auth' }, { detail: 'provider not registered' });
    const timeoutMs = Math.max(1, Math.floor(Math.min(this.config.attemptTimeoutMs, remainingMs)));
    return attemptRoute(provider, route, request, interpret, timeoutMs, callerSignal);
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
