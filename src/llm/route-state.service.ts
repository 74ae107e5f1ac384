import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { llmConfig } from '../config/llm.config';
import { FailureKind } from './llm.errors';
import { LLM_USABLE_CHAIN } from './llm.tokens';
import { AttemptOutcome } from './llm.types';
import { Route, routeId, routeLabel } from './routes';

export interface PlannedRoute {
  route: Route;
  /** Position in the usable chain (0 is the primary). */
  index: number;
}

export interface RoutePlan {
  routes: PlannedRoute[];
  /** The chain position this request started at (the sticky route when it was planned). */
  startIndex: number;
}

export type StickyReason = FailureKind | 'recovered' | 'reset';

export interface StickyState {
  route: Route;
  index: number;
  since: Date | undefined;
  reason: StickyReason | undefined;
}

/** Closed: takes traffic. Open: skipped by user traffic. Half-open: probes are succeeding, not enough yet. */
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface RouteCounts {
  successes: number;
  availabilityFailures: number;
  rateLimits: number;
  badOutputs: number;
  otherFailures: number;
}

export interface RouteHealth {
  route: Route;
  index: number;
  circuit: CircuitState;
  consecutiveAvailabilityFailures: number;
  openedAt: Date | undefined;
  consecutiveProbeSuccesses: number;
  lastProbe: { at: Date; ok: boolean; outcome: AttemptOutcome } | undefined;
  disabledReason: string | undefined;
  counts: RouteCounts;
}

type FailureFamily = 'availability' | 'rate_limit' | 'bad_output' | 'other';

/** Only availability failures (the route did not answer) drive the circuit; rate limits and bad output count apart. */
export function failureFamily(kind: FailureKind): FailureFamily {
  switch (kind) {
    case 'overloaded':
    case 'server_error':
    case 'timeout':
    case 'network':
      return 'availability';
    case 'rate_limited':
      return 'rate_limit';
    case 'invalid_output':
    case 'truncated':
    case 'content_blocked':
      return 'bad_output';
    case 'auth':
    case 'bad_request':
    case 'context_length':
      return 'other';
  }
}

const COUNT_FIELD: Record<FailureFamily, keyof RouteCounts> = {
  availability: 'availabilityFailures',
  rate_limit: 'rateLimits',
  bad_output: 'badOutputs',
  other: 'otherFailures',
};

/**
 * The single owner of routing state: where traffic starts (stickiness), each route's circuit, and which routes are
 * disabled. Node runs one callback at a time, so each method is atomic; a decision planned from an outdated sticky
 * route is recognised by its `startIndex` and ignored.
 */
@Injectable()
export class RouteStateService {
  private readonly logger = new Logger(RouteStateService.name);
  private stickyIndex = 0;
  private stickySince: Date | undefined;
  private stickyReason: StickyReason | undefined;
  private readonly health: RouteHealth[];
  private readonly failureThreshold: number;

  constructor(
    @Inject(LLM_USABLE_CHAIN) private readonly chain: readonly Route[],
    @Inject(llmConfig.KEY) config: Pick<ConfigType<typeof llmConfig>, 'circuitFailureThreshold'>,
  ) {
    this.failureThreshold = config.circuitFailureThreshold;
    this.health = chain.map((route, index) => ({
      route,
      index,
      circuit: 'closed',
      consecutiveAvailabilityFailures: 0,
      openedAt: undefined,
      consecutiveProbeSuccesses: 0,
      lastProbe: undefined,
      disabledReason: undefined,
      counts: {
        successes: 0,
        availabilityFailures: 0,
        rateLimits: 0,
        badOutputs: 0,
        otherFailures: 0,
      },
    }));
  }

  get routes(): readonly Route[] {
    return this.chain;
  }

  /**
   * Sticky route first, then the later ones, then the earlier ones as a last resort. Disabled routes are left out;
   * open and half-open routes too, unless no closed route is left (then they are tried rather than refusing).
   */
  plan(): RoutePlan {
    const start = this.stickyIndex;
    const ordered = [...this.chain.keys()]
      .map((offset) => (start + offset) % this.chain.length)
      .filter((index) => this.health[index].disabledReason === undefined);
    const closed = ordered.filter((index) => this.health[index].circuit === 'closed');
    const chosen = closed.length > 0 ? closed : ordered;
    return {
      startIndex: start,
      routes: chosen.map((index) => ({ route: this.chain[index], index })),
    };
  }

  isDisabled(route: Route): boolean {
    return this.healthOf(route)?.disabledReason !== undefined;
  }

  /** Disables a route for the life of the process (a rejected key does not fix itself). Logged once. */
  disable(route: Route, reason: string): void {
    const health = this.healthOf(route);
    if (!health || health.disabledReason !== undefined) return;
    health.disabledReason = reason;
    this.logger.error(`Disabled ${routeLabel(route)} for the life of the process: ${reason}`);
  }

  disabledReason(route: Route): string | undefined {
    return this.healthOf(route)?.disabledReason;
  }

  /** Every user attempt's outcome: feeds the counts and the circuit. */
  recordAttempt(index: number, outcome: AttemptOutcome): void {
    const health = this.health[index];
    if (outcome === 'success') {
      health.counts.successes += 1;
      health.consecutiveAvailabilityFailures = 0;
      if (health.circuit !== 'closed') this.close(health);
      return;
    }
    const family = failureFamily(outcome);
    health.counts[COUNT_FIELD[family]] += 1;
    if (family === 'availability') this.noteAvailabilityFailure(health);
  }

  /**
   * A request planned from `plan.startIndex` succeeded at `index`. If it had to move and nothing else moved the
   * sticky route meanwhile, later requests start where this one succeeded.
   */
  recordSuccess(plan: RoutePlan, index: number, firstFailure: FailureKind | undefined): void {
    if (index === plan.startIndex || plan.startIndex !== this.stickyIndex) return;
    const from = this.chain[this.stickyIndex];
    this.moveSticky(index, index < this.stickyIndex ? 'recovered' : (firstFailure ?? 'reset'));
    this.logger.warn(
      `Switched from ${routeLabel(from)} to ${routeLabel(this.chain[index])} (${this.stickyReason})`,
    );
  }

  /** Routes the scheduled checker should probe: every route ahead of the sticky one, and every open route. */
  probeTargets(): PlannedRoute[] {
    return this.health
      .filter((health) => health.disabledReason === undefined)
      .filter((health) => health.index < this.stickyIndex || health.circuit !== 'closed')
      .map(({ route, index }) => ({ route, index }));
  }

  /** The result of one probe. Success counts toward recovery; failure starts the count again. */
  recordProbe(index: number, outcome: AttemptOutcome, requiredSuccesses: number): void {
    const health = this.health[index];
    health.lastProbe = { at: new Date(), ok: outcome === 'success', outcome };
    if (outcome !== 'success') {
      health.consecutiveProbeSuccesses = 0;
      if (health.circuit === 'half_open') health.circuit = 'open';
      if (failureFamily(outcome) === 'availability') this.noteAvailabilityFailure(health);
      return;
    }
    health.consecutiveProbeSuccesses += 1;
    if (health.circuit === 'open') health.circuit = 'half_open';
    if (health.circuit === 'half_open' && health.consecutiveProbeSuccesses >= requiredSuccesses)
      this.close(health);
  }

  /**
   * After a probe round: moves traffic back to the earliest route ahead of the sticky one whose probes succeeded
   * `requiredSuccesses` times in a row. Returns the route it moved to, if any.
   */
  recoverIfHealthy(requiredSuccesses: number): Route | undefined {
    const recovered = this.health.find(
      (health) =>
        health.index < this.stickyIndex &&
        health.disabledReason === undefined &&
        health.circuit === 'closed' &&
        health.consecutiveProbeSuccesses >= requiredSuccesses,
    );
    if (!recovered) return undefined;
    const from = this.chain[this.stickyIndex];
    const name =
      recovered.index === 0
        ? `Primary ${routeLabel(recovered.route)}`
        : routeLabel(recovered.route);
    this.logger.log(`${name} recovered; moving traffic back from ${routeLabel(from)}`);
    this.moveSticky(recovered.index, 'recovered');
    for (const health of this.health) health.consecutiveProbeSuccesses = 0;
    return recovered.route;
  }

  /** Probing is needed while traffic is away from the primary or any route is not closed. */
  needsProbing(): boolean {
    return this.probeTargets().length > 0;
  }

  /** Moves traffic back to the primary (or another route) explicitly. */
  reset(index = 0, reason: StickyReason = 'reset'): void {
    if (index === this.stickyIndex) return;
    this.moveSticky(index, reason);
  }

  sticky(): StickyState {
    return {
      route: this.chain[this.stickyIndex],
      index: this.stickyIndex,
      since: this.stickySince,
      reason: this.stickyReason,
    };
  }

  /** A copy of every route's health, for status pages and metrics. */
  snapshot(): RouteHealth[] {
    return this.health.map((health) => ({
      ...health,
      counts: { ...health.counts },
      lastProbe: health.lastProbe ? { ...health.lastProbe } : undefined,
    }));
  }

  private moveSticky(index: number, reason: StickyReason): void {
    this.stickyIndex = index;
    this.stickySince = new Date();
    this.stickyReason = reason;
  }

  private noteAvailabilityFailure(health: RouteHealth): void {
    health.consecutiveAvailabilityFailures += 1;
    if (
      health.circuit !== 'closed' ||
      health.consecutiveAvailabilityFailures < this.failureThreshold
    )
      return;
    health.circuit = 'open';
    health.openedAt = new Date();
    health.consecutiveProbeSuccesses = 0;
    this.logger.warn(
      `Opened ${routeLabel(health.route)} after ${health.consecutiveAvailabilityFailures} availability failures in a row; user traffic skips it until probes succeed`,
    );
  }

  private close(health: RouteHealth): void {
    const wasOpen = health.circuit !== 'closed';
    health.circuit = 'closed';
    health.openedAt = undefined;
    health.consecutiveAvailabilityFailures = 0;
    if (wasOpen) this.logger.log(`Closed ${routeLabel(health.route)}: it answers again`);
  }

  private healthOf(route: Route): RouteHealth | undefined {
    return this.health.find((health) => routeId(health.route) === routeId(route));
  }
}
