import { Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { failureEffects, failureFamily } from '../fallback/failure-policy';
import { FailureKind } from '../llm.errors';
import { AttemptOutcome } from '../llm.types';
import { Route, routeId, routeLabel } from '../routes';
import {
  Circuit,
  CircuitEvent,
  CircuitPolicy,
  CircuitState,
  CLOSED_CIRCUIT,
  nextCircuit,
} from './circuit';
import { RouteEventLog, RouteEventType } from './route-events';
import {
  ChainRecord,
  RouteCounts,
  RouteRecord,
  RouteStateStore,
  StickyReason,
  zeroCounts,
} from './route-state.store';

export interface PlannedRoute {
  route: Route;
  /** Position in the chain (0 is the primary). */
  index: number;
}

export interface RoutePlan {
  routes: PlannedRoute[];
  /** The chain position this request started at (the sticky route when it was planned). */
  startIndex: number;
}

export interface StickyState {
  route: Route;
  index: number;
  since: Date | undefined;
  reason: StickyReason | undefined;
}

/** One route's health as status pages and metrics read it. */
export interface RouteHealth {
  route: Route;
  index: number;
  circuit: CircuitState;
  consecutiveAvailabilityFailures: number;
  openedAt: Date | undefined;
  consecutiveProbeSuccesses: number;
  lastProbe: { at: Date; ok: boolean; outcome: string } | undefined;
  disabledReason: string | undefined;
  counts: RouteCounts;
}

function countField(kind: FailureKind): keyof RouteCounts {
  if (kind === 'rate_limited') return 'rateLimits';
  switch (failureFamily(kind)) {
    case 'availability':
      return 'availabilityFailures';
    case 'output':
      return 'badOutputs';
    case 'request':
    case 'auth':
      return 'otherFailures';
  }
}

/** What moves a chain's routing state besides the circuit policy. */
export interface ChainPolicy extends CircuitPolicy {
  /** Output failures in a row on one route that make it count as unavailable (the sticky route moves). */
  outputFailuresToSwitch: number;
  /** How long a route with a rejected key waits before a probe tries its key again. */
  disabledReprobeMs: number;
}

const TRANSITION_LOG: Record<string, (label: string, circuit: Circuit) => string> = {
  opened: (label, circuit) =>
    `Opened ${label} after ${circuit.consecutiveFailures} availability failures in a row; user traffic skips it until probes succeed`,
  closed: (label) => `Closed ${label}: it answers again`,
};

export function chainKey(chain: readonly Route[]): string {
  return chain.map(routeId).join(',');
}

/** Whose traffic a chain state routes: the service's own calls, or the `/v1` gateway's callers. */
export type RoutingScope = 'service' | 'gateway';
/** The key prefix of a gateway chain's state (route ids hold no `|`). */
export const GATEWAY_PREFIX = 'gateway|';

function initialRecord(length: number): ChainRecord {
  return {
    sticky: { index: 0, since: undefined, reason: undefined },
    routes: Array.from({ length }, () => ({
      circuit: { ...CLOSED_CIRCUIT },
      lastProbe: undefined,
      disabledReason: undefined,
      counts: zeroCounts(),
    })),
  };
}

const dateOf = (epochMs: number | undefined) =>
  epochMs === undefined ? undefined : new Date(epochMs);

/**
 * The routing state of one chain: where traffic starts (the sticky pointer), each route's circuit, and which
 * routes are disabled. A plain object over a record kept by a `RouteStateStore`; the registry creates one per
 * distinct chain. Node runs one callback at a time, so each method is atomic; a decision planned from an outdated
 * sticky route is recognised by its `startIndex` and ignored.
 */
export class ChainState {
  private readonly logger = new Logger(ChainState.name);
  readonly key: string;
  private readonly record: ChainRecord;

  constructor(
    readonly routes: readonly Route[],
    private readonly policy: ChainPolicy,
    private readonly store: RouteStateStore,
    private readonly clock: Pick<Clock, 'date'>,
    private readonly events: RouteEventLog = new RouteEventLog(),
    /** Whose traffic this state routes: the service's own, or the gateway's (a state of its own, own key). */
    readonly scope: RoutingScope = 'service',
  ) {
    this.key = scope === 'service' ? chainKey(routes) : `${GATEWAY_PREFIX}${chainKey(routes)}`;
    this.record = store.open(this.key, () => initialRecord(routes.length));
  }

  /**
   * Sticky route first, then the later ones, then the earlier ones as a last resort. Disabled routes are left out;
   * open and half-open routes too, unless no closed route is left (then they are tried rather than refusing).
   */
  plan(): RoutePlan {
    const start = this.record.sticky.index;
    const ordered = [...this.routes.keys()]
      .map((offset) => (start + offset) % this.routes.length)
      .filter((index) => this.record.routes[index].disabledReason === undefined);
    const closed = ordered.filter((index) => this.record.routes[index].circuit.state === 'closed');
    const chosen = closed.length > 0 ? closed : ordered;
    return {
      startIndex: start,
      routes: chosen.map((index) => ({ route: this.routes[index], index })),
    };
  }

  isDisabled(route: Route): boolean {
    return this.disabledReason(route) !== undefined;
  }

  disabledReason(route: Route): string | undefined {
    return this.recordOf(route)?.disabledReason;
  }

  /**
   * Disables a route whose key was rejected: user traffic skips it; a probe tries the key again every
   * LLM_DISABLED_REPROBE_MS, so a rotated key comes back without a restart. Logged once.
   */
  disable(route: Route, reason: string): void {
    const record = this.recordOf(route);
    if (!record || record.disabledReason !== undefined) return;
    record.disabledReason = reason;
    record.disabledAt = this.clock.date().getTime();
    this.changed();
    this.event('disabled', route, { reason });
    this.logger.error(
      `Disabled ${routeLabel(route)}: ${reason}; its key is tried again every ${Math.round(this.policy.disabledReprobeMs / 1000)} s`,
    );
  }

  /** Every user attempt's outcome: feeds the counts and (unless `counted` is false) the circuit. */
  recordAttempt(index: number, outcome: AttemptOutcome, counted = true): void {
    const record = this.record.routes[index];
    if (outcome === 'success') {
      record.counts.successes += 1;
      record.consecutiveOutputFailures = 0;
      this.apply(index, 'attempt_success');
      return;
    }
    record.counts[countField(outcome)] += 1;
    if (failureFamily(outcome) === 'output')
      record.consecutiveOutputFailures = (record.consecutiveOutputFailures ?? 0) + 1;
    if (counted && failureEffects(outcome).countsForCircuit)
      this.apply(index, 'availability_failure');
    else this.changed();
  }

  /**
   * Whether this failure on the route at `index` (already recorded) says the route is unavailable: any availability
   * failure, or the LLM_OUTPUT_FAILURES_TO_SWITCH-th output failure in a row. Request-specific failures never do.
   */
  isUnavailabilitySignal(index: number, kind: FailureKind): boolean {
    switch (failureEffects(kind).movesSticky) {
      case 'yes':
        return true;
      case 'after_repeats':
        return (
          (this.record.routes[index].consecutiveOutputFailures ?? 0) >=
          this.policy.outputFailuresToSwitch
        );
      case 'no':
        return false;
    }
  }

  /**
   * A request planned from `plan.startIndex` succeeded at `index`. Later requests start there when a route ahead
   * of it was unavailable (`unavailable`: the first availability signal of this request), or when it is earlier in
   * the chain (a wrapped-around success: it answers again). A request that only moved because of its own content
   * (a bad request, a refusal, one broken answer) moves nothing. Ignored if the sticky route moved since the plan.
   */
  recordSuccess(plan: RoutePlan, index: number, unavailable: FailureKind | undefined): void {
    const sticky = this.record.sticky;
    if (index === plan.startIndex || plan.startIndex !== sticky.index) return;
    if (index > sticky.index && unavailable === undefined) return;
    const from = this.routes[sticky.index];
    const reason = index < sticky.index ? 'recovered' : (unavailable ?? 'reset');
    this.moveSticky(index, reason);
    this.logger.warn(
      `Switched from ${routeLabel(from)} to ${routeLabel(this.routes[index])} (${reason})`,
    );
    this.event(reason === 'recovered' ? 'recovered' : 'switched', this.routes[index], {
      from,
      reason,
    });
  }

  /**
   * Routes the scheduled checker should probe: every route ahead of the sticky one, every open route, and every
   * disabled route whose reprobe is due.
   */
  probeTargets(): PlannedRoute[] {
    const now = this.clock.date().getTime();
    return this.routes
      .map((route, index) => ({ route, index }))
      .filter(({ index }) => {
        const record = this.record.routes[index];
        if (record.disabledReason !== undefined) {
          const since = Math.max(record.disabledAt ?? 0, record.lastProbe?.at ?? 0);
          return now - since >= this.policy.disabledReprobeMs;
        }
        return index < this.record.sticky.index || record.circuit.state !== 'closed';
      });
  }

  /** The result of one probe. Success counts toward recovery; failure starts the count again. */
  recordProbe(index: number, outcome: AttemptOutcome): void {
    const record = this.record.routes[index];
    record.lastProbe = { at: this.clock.date().getTime(), ok: outcome === 'success', outcome };
    if (record.disabledReason !== undefined) {
      if (outcome !== 'success') return this.changed();
      this.logger.log(`Re-enabled ${routeLabel(this.routes[index])}: its key is accepted again`);
      this.event('re_enabled', this.routes[index]);
      record.disabledReason = undefined;
      record.disabledAt = undefined;
    }
    if (outcome === 'success') this.apply(index, 'probe_success');
    else if (failureEffects(outcome).countsForCircuit)
      this.apply(index, 'probe_availability_failure');
    else this.apply(index, 'probe_failure');
  }

  /**
   * After a probe round: moves traffic back to the earliest route ahead of the sticky one whose probes succeeded
   * enough times in a row. Returns the route it moved to, if any.
   */
  recoverIfHealthy(): Route | undefined {
    const recovered = this.record.routes.findIndex(
      (record, index) =>
        index < this.record.sticky.index &&
        record.disabledReason === undefined &&
        record.circuit.state === 'closed' &&
        record.circuit.consecutiveProbeSuccesses >= this.policy.successesToClose,
    );
    if (recovered < 0) return undefined;
    const route = this.routes[recovered];
    const from = this.routes[this.record.sticky.index];
    const name = recovered === 0 ? `Primary ${routeLabel(route)}` : routeLabel(route);
    this.logger.log(`${name} recovered; moving traffic back from ${routeLabel(from)}`);
    this.event('recovered', route, { from, reason: 'probes succeeded' });
    for (const record of this.record.routes) record.circuit.consecutiveProbeSuccesses = 0;
    this.moveSticky(recovered, 'recovered');
    return route;
  }

  /** Probing is needed while traffic is away from the primary or any route is not closed. */
  needsProbing(): boolean {
    return this.probeTargets().length > 0;
  }

  /** Moves traffic back to the primary (or another route) explicitly. */
  reset(index = 0, reason: StickyReason = 'reset'): void {
    if (index === this.record.sticky.index) return;
    this.moveSticky(index, reason);
  }

  sticky(): StickyState {
    const { index, since, reason } = this.record.sticky;
    return { route: this.routes[index], index, since: dateOf(since), reason };
  }

  /** A copy of every route's health, for status pages and metrics. */
  snapshot(): RouteHealth[] {
    return this.record.routes.map((record, index) => ({
      route: this.routes[index],
      index,
      circuit: record.circuit.state,
      consecutiveAvailabilityFailures: record.circuit.consecutiveFailures,
      openedAt: dateOf(record.circuit.openedAt),
      consecutiveProbeSuccesses: record.circuit.consecutiveProbeSuccesses,
      lastProbe: record.lastProbe && { ...record.lastProbe, at: new Date(record.lastProbe.at) },
      disabledReason: record.disabledReason,
      counts: { ...record.counts },
    }));
  }

  private apply(index: number, event: CircuitEvent): void {
    const record: RouteRecord = this.record.routes[index];
    const { circuit, transition } = nextCircuit(
      record.circuit,
      event,
      this.policy,
      this.clock.date().getTime(),
    );
    record.circuit = circuit;
    this.changed();
    const log = transition && TRANSITION_LOG[transition];
    if (transition === 'opened' || transition === 'closed')
      this.event(transition, this.routes[index], {
        reason:
          transition === 'opened'
            ? `${circuit.consecutiveFailures} availability failures in a row`
            : 'answers again',
      });
    if (log) {
      const message = log(routeLabel(this.routes[index]), circuit);
      if (transition === 'opened') this.logger.warn(message);
      else this.logger.log(message);
    }
  }

  private moveSticky(index: number, reason: StickyReason): void {
    this.record.sticky = { index, since: this.clock.date().getTime(), reason };
    this.changed();
  }

  private event(
    type: RouteEventType,
    route: Route,
    detail: { from?: Route; reason?: string } = {},
  ): void {
    this.events.record(
      {
        type,
        route: routeId(route),
        ...(detail.from ? { from: routeId(detail.from) } : {}),
        ...(detail.reason ? { reason: detail.reason } : {}),
        chain: this.key,
      },
      this.clock.date(),
    );
  }

  private changed(): void {
    this.store.changed(this.key, this.record);
  }

  private recordOf(route: Route): RouteRecord | undefined {
    const index = this.routes.findIndex((candidate) => routeId(candidate) === routeId(route));
    return index < 0 ? undefined : this.record.routes[index];
  }
}
