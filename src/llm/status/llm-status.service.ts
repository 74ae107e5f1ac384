import { Inject, Injectable } from '@nestjs/common';
import { LLM_PROBES, LLM_ROUTES, LlmProbesConfig, LlmRoutesConfig } from '../config/llm.config';
import { PRICE_DATA, TokenPrice } from '../config/prices';
import { LLM_PROVIDERS } from '../llm.tokens';
import { KeyStatus, LlmProvider } from '../llm.types';
import { ROUTE_EVENT_LOG, RouteEvent, RouteEventLog } from '../route-state/route-events';
import { RouteStateRegistry } from '../route-state/route-state.registry';
import {
  ROUTE_STATE_STORE,
  RouteCounts,
  RouteStateStore,
  SharedStateStatus,
} from '../route-state/route-state.store';
import { ProviderName, routeId } from '../routes';
import { LlmMetrics } from './llm-metrics.service';
import { RecentAttemptsSummary } from './recent-attempts';

export interface RouteStatus {
  provider: ProviderName;
  model: string;
  keyConfigured: boolean;
  /**
   * closed: takes traffic; open: skipped after repeated availability failures; half_open: probes succeeding;
   * disabled: key rejected (401/403); skipped: no key configured.
   */
  state: 'closed' | 'open' | 'half_open' | 'disabled' | 'skipped';
  reason?: string;
  sticky: boolean;
  openedAt?: string;
  consecutiveFailures?: number;
  lastProbe?: { at: string; ok: boolean; outcome: string };
  counts?: RouteCounts;
}

export interface LlmStatus {
  simulated: boolean;
  sticky: { provider: ProviderName; model: string; since: string | null; reason: string | null };
  healthcheck: { intervalMs: number; successesToRecover: number; circuitFailureThreshold: number };
  routes: RouteStatus[];
  /**
   * Where costs come from: the maintained price data's version (its date) and each route's unit prices in USD per
   * million tokens, or `unknown` for a route neither LLM_PRICES nor the data prices (its cost is not counted).
   */
  prices: { data: string; routes: Record<string, TokenPrice | 'unknown'> };
  /** Routing state: this process's own, shared with the other replicas through Redis, or shared but degraded. */
  sharedState: SharedStateStatus;
  /** Chains callers named per request (`/v1` `fallbacks`), each with its own sticky route and circuits. */
  requestChains: RequestChainStatus[];
  /** Each configured provider's keys, by name (never by value): usable, cooling, exhausted or disabled. */
  keys: Partial<Record<ProviderName, KeyStatus[]>>;
}

export interface RequestChainStatus {
  /** Whose traffic the chain routes: the gateway's callers (`/v1`, LLM_GATEWAY_ROUTING=separate) or the service's. */
  scope: 'service' | 'gateway';
  /** `provider:model` ids in order. */
  routes: Array<{
    route: string;
    state: 'closed' | 'open' | 'half_open' | 'disabled';
    sticky: boolean;
  }>;
}

/** A read-only view of the LLM layer for /health/llm. Reads state; never calls a provider; no key material. */
@Injectable()
export class LlmStatusService {
  constructor(
    @Inject(LLM_ROUTES) private readonly routesConfig: LlmRoutesConfig,
    @Inject(LLM_PROBES) private readonly probes: LlmProbesConfig,
    @Inject(LLM_PROVIDERS) private readonly providers: LlmProvider[],
    private readonly routeStates: RouteStateRegistry,
    @Inject(ROUTE_EVENT_LOG) private readonly events: RouteEventLog,
    private readonly metrics: LlmMetrics,
    @Inject(ROUTE_STATE_STORE) private readonly store: RouteStateStore,
  ) {}

  /** Recent failovers, recoveries and circuit changes, newest first. */
  timeline(limit = 50): RouteEvent[] {
    return this.events.recent(limit);
  }

  /** Attempts by outcome, latency and estimated cost over the last hour. */
  recent(): RecentAttemptsSummary {
    return this.metrics.recentSummary();
  }

  status(): LlmStatus {
    const routeState = this.routeStates.defaultState;
    const sticky = routeState.sticky();
    const configured = new Set(this.providers.filter((p) => p.configured).map((p) => p.name));
    const health = new Map(routeState.snapshot().map((entry) => [routeId(entry.route), entry]));
    return {
      simulated: this.routesConfig.simulator === 'on',
      sticky: {
        provider: sticky.route.provider,
        model: sticky.route.model,
        since: sticky.since?.toISOString() ?? null,
        reason: sticky.reason ?? null,
      },
      healthcheck: {
        intervalMs: this.probes.intervalMs,
        successesToRecover: this.probes.successesToRecover,
        circuitFailureThreshold: this.probes.circuitFailureThreshold,
      },
      routes: this.routesConfig.chain.map((route): RouteStatus => {
        const keyConfigured = configured.has(route.provider);
        const entry = health.get(routeId(route));
        if (!entry) {
          return {
            provider: route.provider,
            model: route.model,
            keyConfigured,
            state: 'skipped',
            reason: `no API key for ${route.provider}`,
            sticky: false,
          };
        }
        return {
          provider: route.provider,
          model: route.model,
          keyConfigured,
          state: entry.disabledReason !== undefined ? 'disabled' : entry.circuit,
          ...(entry.disabledReason !== undefined
            ? { reason: `key rejected (${entry.disabledReason})` }
            : {}),
          sticky: entry.index === sticky.index,
          ...(entry.openedAt ? { openedAt: entry.openedAt.toISOString() } : {}),
          consecutiveFailures: entry.consecutiveAvailabilityFailures,
          ...(entry.lastProbe
            ? {
                lastProbe: {
                  at: entry.lastProbe.at.toISOString(),
                  ok: entry.lastProbe.ok,
                  outcome: entry.lastProbe.outcome,
                },
              }
            : {}),
          counts: entry.counts,
        };
      }),
      prices: {
        data: PRICE_DATA,
        routes: Object.fromEntries(
          this.routesConfig.chain.map((route) => [
            routeId(route),
            this.metrics.priceOf(route) ?? 'unknown',
          ]),
        ),
      },
      sharedState: this.store.status(),
      keys: Object.fromEntries(
        this.providers
          .filter((provider) => provider.configured && provider.keys)
          .map((provider) => [provider.name, provider.keys!.status()]),
      ),
      requestChains: this.routeStates
        .all()
        .filter((state) => state !== this.routeStates.defaultState)
        .map((state) => {
          const sticky = state.sticky().index;
          return {
            scope: state.scope,
            routes: state.snapshot().map((entry) => ({
              route: routeId(entry.route),
              state: entry.disabledReason !== undefined ? 'disabled' : entry.circuit,
              sticky: entry.index === sticky,
            })),
          };
        }),
    };
  }
}
