import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { trace } from '@opentelemetry/api';
import { Clock } from '../../common/clock';
import {
  LLM_CLOCK,
  LLM_CONFIG,
  LLM_PROBES,
  LlmConfig,
  LlmProbesConfig,
} from '../config/llm.config';
import { attemptRoute, Interpret } from '../fallback/attempt';
import { ProviderError, RequestAbortedError } from '../llm.errors';
import { LLM_PROVIDERS } from '../llm.tokens';
import { AttemptOutcome, LlmProvider, ProviderRequest } from '../llm.types';
import { LOCAL_PROBE_LEASE, ProbeLease } from '../route-state/probe-lease';
import { RouteStateRegistry } from '../route-state/route-state.registry';
import { Route, routeId, routeLabel } from '../routes';
import { LlmMetrics } from '../status/llm-metrics.service';

/**
 * A probe's answer is healthy when it is any well-formed answer with content: a route that answers plain text is
 * up, whatever it says and however it formats it (structured-output problems are output failures, not outages).
 */
const anyContent: Interpret<string> = async (response, route) => {
  if (response.text.trim().length === 0)
    throw new ProviderError(route, { kind: 'invalid_output' }, { detail: 'empty probe answer' });
  return response.text;
};

const tracer = trace.getTracer('resilient-llm-backend/llm');

const TIMER_NAME = 'llm-route-health-check';
const JITTER = 0.1;

/** Where a run of probe rounds stands: what decides how soon the next one comes. */
export interface ProbeCadence {
  /** Some route needs probing (traffic is away from the primary, a circuit is not closed, a key is due). */
  probing: boolean;
  /** Rounds in a row in which no probe succeeded. */
  quietRounds: number;
  /** The last round had a success short of recovery: the next one confirms it. */
  confirming: boolean;
}

/**
 * The wait before the next round, before jitter. The cadence adapts to an outage: the first probe comes a tenth of
 * LLM_HEALTHCHECK_INTERVAL_MS after traffic left the primary, then the wait doubles with each quiet round up to the
 * interval; a success is confirmed a tenth of the interval later. With the defaults (10 s, 2 successes) a primary
 * that comes back takes traffic again within about 10 + 1 s plus two probe round trips, however long it was down.
 * While nothing needs probing, the checker only looks every tenth of the interval (no provider call).
 */
export function probeDelayMs(intervalMs: number, cadence: ProbeCadence): number {
  const first = Math.max(1, Math.round(intervalMs / 10));
  if (!cadence.probing || cadence.confirming) return first;
  return Math.min(intervalMs, first * 2 ** Math.min(cadence.quietRounds, 16));
}

/**
 * Scheduled recovery: while traffic is away from the primary, a route's circuit is not closed, or a rejected key is
 * due for another try, probes each such route with a minimal plain-text request (thinking off, a few output tokens,
 * LLM_PROBE_TIMEOUT_MS), all routes at once, and moves traffic back to the earliest route that succeeded
 * LLM_HEALTHCHECK_SUCCESSES times in a row. The cadence adapts (`probeDelayMs`). Rounds never overlap, never use a
 * user's deadline, run on one replica at a time (the probe lease), and stop at shutdown.
 */
@Injectable()
export class RouteHealthChecker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RouteHealthChecker.name);
  private readonly providers: Map<string, LlmProvider>;
  private readonly stopSignal = new AbortController();
  private running: Promise<void> | undefined;
  private cadence: ProbeCadence = { probing: false, quietRounds: 0, confirming: false };
  private readonly lease: ProbeLease;
  private readonly probeRequest: Omit<ProviderRequest, 'model'> = {
    messages: [{ role: 'user', content: 'Health check: reply with the single word OK.' }],
    responseFormat: { type: 'text' },
    // Small, but thinking-safe: every strategy turns thinking off for probes and sizes the limit above it.
    maxOutputTokens: 16,
    thinking: 'off',
    // A length finish with content is still a healthy route.
    allowTruncation: true,
  };

  constructor(
    @Inject(LLM_PROBES) private readonly probes: LlmProbesConfig,
    @Inject(LLM_CLOCK) private readonly clock: Pick<Clock, 'random'>,
    @Inject(LLM_CONFIG) config: Pick<LlmConfig, 'probeLease'>,
    @Inject(LLM_PROVIDERS) providers: LlmProvider[],
    private readonly routeStates: RouteStateRegistry,
    private readonly metrics: LlmMetrics,
    private readonly scheduler: SchedulerRegistry,
  ) {
    this.providers = new Map(providers.map((provider) => [provider.name, provider]));
    this.lease = config.probeLease ?? LOCAL_PROBE_LEASE;
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
    // Another replica holds the probe lease: its results reach this one through the shared route state.
    if (!this.lease.held()) return Promise.resolve();
    this.running = this.probeRound().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private scheduleNext(): void {
    if (this.stopSignal.signal.aborted) return;
    const probing = this.routeStates.all().some((state) => state.needsProbing());
    if (!probing) this.cadence = { probing, quietRounds: 0, confirming: false };
    else this.cadence.probing = true;
    const base = probeDelayMs(this.probes.intervalMs, this.cadence);
    const delay = Math.round(base * (1 - JITTER + this.clock.random() * 2 * JITTER));
    const handle = setTimeout(() => {
      this.scheduler.deleteTimeout(TIMER_NAME);
      this.runProbes()
        .catch((error: unknown) => this.logger.error(`Probe round failed: ${String(error)}`))
        .finally(() => this.scheduleNext());
    }, delay);
    this.scheduler.addTimeout(TIMER_NAME, handle);
  }

  /**
   * Probes each route that any chain wants probed, once and all at the same time (one silent route never delays
   * another's recovery), and hands each result to every chain that asked for it.
   */
  private probeRound(): Promise<void> {
    // One span per round: recoveries are events on it, each probe's attempt a child.
    return tracer.startActiveSpan('llm.probe_round', async (span) => {
      try {
        await this.probeAll();
      } finally {
        span.end();
      }
    });
  }

  private async probeAll(): Promise<void> {
    const states = this.routeStates.all();
    const asked = states.map((state) => ({ state, targets: state.probeTargets() }));
    const wanted = new Map<string, Route>();
    for (const { targets } of asked)
      for (const { route } of targets) wanted.set(routeId(route), route);
    const outcomes = new Map<string, AttemptOutcome>();
    await Promise.all(
      [...wanted.values()].map(async (route) => {
        const outcome = await this.probe(route);
        if (outcome === undefined) return; // stopped mid-probe
        outcomes.set(routeId(route), outcome);
        this.metrics.probe(route, outcome);
        this.logger.debug(`Probe of ${routeLabel(route)}: ${outcome}`);
      }),
    );
    if (this.stopSignal.signal.aborted) return;
    for (const { state, targets } of asked) {
      for (const target of targets) {
        const outcome = outcomes.get(routeId(target.route));
        if (outcome !== undefined) state.recordProbe(target.index, outcome);
      }
    }
    let recovered = false;
    for (const state of states) if (state.recoverIfHealthy()) recovered = true;
    const succeeded = [...outcomes.values()].includes('success');
    this.cadence = {
      probing: true,
      quietRounds: succeeded || recovered ? 0 : this.cadence.quietRounds + 1,
      confirming: succeeded && !recovered,
    };
  }

  private async probe(route: Route): Promise<AttemptOutcome | undefined> {
    const provider = this.providers.get(route.provider);
    if (!provider) return 'auth';
    try {
      await attemptRoute(
        provider,
        route,
        this.probeRequest,
        anyContent,
        this.probes.timeoutMs,
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
