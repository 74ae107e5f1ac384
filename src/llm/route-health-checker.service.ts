import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { IsIn } from 'class-validator';
import { LLM_CONFIG, LlmConfig } from './llm.config';
import { attemptRoute, interpretAs } from './attempt';
import { LlmMetrics } from './llm-metrics.service';
import { ProviderError, RequestAbortedError } from './llm.errors';
import { LLM_PROVIDERS } from './llm.tokens';
import { AttemptOutcome, LlmProvider, ProviderRequest } from './llm.types';
import { RouteStateRegistry } from './route-state/route-state.registry';
import { jsonSchemaFor } from '../common/json-schema';
import { Route, routeId, routeLabel } from './routes';

/** What a probe asks for: a tiny structured answer, so it exercises generation and structured output. */
export class HealthProbeReply {
  @IsIn(['ok'])
  status: 'ok';
}

const TIMER_NAME = 'llm-route-health-check';
const JITTER = 0.1;

/**
 * Scheduled recovery: while traffic is away from the primary or a route's circuit is not closed, probes each route
 * ahead of the sticky one (and every open route) with a tiny structured request, and moves traffic back to the
 * earliest route that succeeded LLM_HEALTHCHECK_SUCCESSES times in a row. Probes never overlap, never use a user's
 * deadline, and stop at shutdown.
 */
@Injectable()
export class RouteHealthChecker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RouteHealthChecker.name);
  private readonly providers: Map<string, LlmProvider>;
  private readonly stopSignal = new AbortController();
  private running: Promise<void> | undefined;
  private readonly probeRequest: Omit<ProviderRequest, 'model'> = {
    messages: [
      {
        role: 'system',
        content: 'You are a health check. Answer with the JSON object requested and nothing else.',
      },
      { role: 'user', content: 'Reply with {"status":"ok"}.' },
    ],
    responseFormat: {
      type: 'json_schema',
      name: 'health_probe',
      schema: jsonSchemaFor(HealthProbeReply),
    },
    maxOutputTokens: 256,
  };

  constructor(
    @Inject(LLM_CONFIG) private readonly config: LlmConfig,
    @Inject(LLM_PROVIDERS) providers: LlmProvider[],
    private readonly routeStates: RouteStateRegistry,
    private readonly metrics: LlmMetrics,
    private readonly scheduler: SchedulerRegistry,
  ) {
    this.providers = new Map(providers.map((provider) => [provider.name, provider]));
  }

  onApplicationBootstrap(): void {
    this.scheduleNext();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopSignal.abort();
    if (this.scheduler.doesExist('timeout', TIMER_NAME)) this.scheduler.deleteTimeout(TIMER_NAME);
    await this.running;
  }

  /** The scheduled handler (tests call it directly). Resolves when the round, or the one already running, ends. */
  runProbes(): Promise<void> {
    if (this.running) return this.running;
    const states = this.routeStates.all();
    if (this.stopSignal.signal.aborted || !states.some((state) => state.needsProbing()))
      return Promise.resolve();
    this.running = this.probeRound().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private scheduleNext(): void {
    if (this.stopSignal.signal.aborted) return;
    const interval = this.config.healthcheckIntervalMs;
    const delay = Math.round(interval * (1 - JITTER + this.config.clock.random() * 2 * JITTER));
    const handle = setTimeout(() => {
      this.scheduler.deleteTimeout(TIMER_NAME);
      this.runProbes()
        .catch((error: unknown) => this.logger.error(`Probe round failed: ${String(error)}`))
        .finally(() => this.scheduleNext());
    }, delay);
    this.scheduler.addTimeout(TIMER_NAME, handle);
  }

  /** Probes each route that any chain wants probed, once, and hands the result to every chain that holds it. */
  private async probeRound(): Promise<void> {
    const states = this.routeStates.all();
    const wanted = new Map<string, Route>();
    for (const state of states)
      for (const { route } of state.probeTargets()) wanted.set(routeId(route), route);
    for (const route of wanted.values()) {
      if (this.stopSignal.signal.aborted) return;
      const outcome = await this.probe(route);
      if (outcome === undefined) return; // stopped mid-probe
      this.metrics.probe(route, outcome);
      this.logger.debug(`Probe of ${routeLabel(route)}: ${outcome}`);
      for (const state of states) {
        for (const target of state.probeTargets()) {
          if (routeId(target.route) === routeId(route)) {
            state.recordProbe(target.index, outcome);
          }
        }
      }
    }
    for (const state of states) state.recoverIfHealthy();
  }

  private async probe(route: Route): Promise<AttemptOutcome | undefined> {
    const provider = this.providers.get(route.provider);
    if (!provider) return 'auth';
    try {
      await attemptRoute(
        provider,
        route,
        this.probeRequest,
        interpretAs(HealthProbeReply),
        this.config.attemptTimeoutMs,
        this.stopSignal.signal,
      );
      return 'success';
    } catch (error) {
      if (error instanceof RequestAbortedError) return undefined;
      if (error instanceof ProviderError) return error.kind;
      throw error;
    }
  }
}
