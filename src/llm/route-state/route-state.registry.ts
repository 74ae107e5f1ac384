import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import {
  LLM_CLOCK,
  LLM_POLICY,
  LLM_PROBES,
  LlmPolicyConfig,
  LlmProbesConfig,
} from '../config/llm.config';
import { LLM_USABLE_CHAIN } from '../llm.tokens';
import { parseRoute, Route, RouteParseError } from '../routes';
import { ChainPolicy, ChainState, chainKey, GATEWAY_PREFIX, RoutingScope } from './chain-state';
import { ROUTE_EVENT_LOG, RouteEventLog } from './route-events';
import { ROUTE_STATE_STORE, RouteStateStore } from './route-state.store';

/** Per-request chains (the chat endpoint's `fallbacks`) beyond this many distinct ones evict the least recent. */
const MAX_CHAINS = 64;

/**
 * The one provider of routing state: the configured chain's state (the one /health/llm and the metrics show) and
 * one for each per-request chain, so stickiness on one chain never moves traffic on another.
 */
@Injectable()
export class RouteStateRegistry {
  readonly defaultState: ChainState;
  /** The configured chain as the gateway's traffic walks it (created on its first use). */
  private gatewayState: ChainState | undefined;
  private readonly chains = new Map<string, ChainState>();
  private readonly policy: ChainPolicy;

  constructor(
    @Inject(LLM_USABLE_CHAIN) chain: readonly Route[],
    @Inject(LLM_PROBES) probes: LlmProbesConfig,
    @Inject(LLM_POLICY) policy: Pick<LlmPolicyConfig, 'outputFailuresToSwitch'>,
    @Inject(LLM_CLOCK) private readonly clock: Pick<Clock, 'date'>,
    @Inject(ROUTE_STATE_STORE) private readonly store: RouteStateStore,
    @Inject(ROUTE_EVENT_LOG) private readonly events: RouteEventLog,
  ) {
    this.policy = {
      failureThreshold: probes.circuitFailureThreshold,
      successesToClose: probes.successesToRecover,
      outputFailuresToSwitch: policy.outputFailuresToSwitch,
      disabledReprobeMs: probes.disabledReprobeMs,
    };
    this.defaultState = this.create(chain);
    store.onRemoteChain?.((key) => this.adopt(key));
  }

  /** Tracks a chain another replica uses, from its key (`provider:model` ids); a key that does not parse is ignored. */
  private adopt(key: string): void {
    const scope: RoutingScope = key.startsWith(GATEWAY_PREFIX) ? 'gateway' : 'service';
    const ids = scope === 'gateway' ? key.slice(GATEWAY_PREFIX.length) : key;
    let routes: Route[];
    try {
      routes = ids.split(',').map((id) => parseRoute(id));
    } catch (error) {
      if (error instanceof RouteParseError) return;
      throw error;
    }
    this.forChain(routes, scope);
  }

  /**
   * The state of `chain` (the configured one when undefined) for `scope`'s traffic. The gateway's states are apart
   * from the service's, so a `/v1` caller never moves the profiles' and lessons' routing.
   */
  forChain(chain: readonly Route[] | undefined, scope: RoutingScope = 'service'): ChainState {
    if (scope === 'gateway') {
      // The configured chain (most gateway requests): no key to compute.
      if (!chain || chainKey(chain) === this.defaultState.key)
        return (this.gatewayState ??= this.create(this.defaultState.routes, 'gateway'));
      return this.remembered(chain, 'gateway');
    }
    if (!chain) return this.defaultState;
    if (chainKey(chain) === this.defaultState.key) return this.defaultState;
    return this.remembered(chain, 'service');
  }

  /** A per-request chain's state, kept among the MAX_CHAINS most recent. */
  private remembered(chain: readonly Route[], scope: RoutingScope): ChainState {
    const key = scope === 'service' ? chainKey(chain) : `${GATEWAY_PREFIX}${chainKey(chain)}`;
    const existing = this.chains.get(key);
    if (existing) {
      this.chains.delete(key);
      this.chains.set(key, existing);
      return existing;
    }
    const created = this.create(chain, scope);
    this.chains.set(key, created);
    if (this.chains.size > MAX_CHAINS) {
      const oldest = this.chains.keys().next().value as string;
      this.chains.delete(oldest);
      this.store.forget(oldest);
    }
    return created;
  }

  all(): ChainState[] {
    return [
      this.defaultState,
      ...(this.gatewayState ? [this.gatewayState] : []),
      ...this.chains.values(),
    ];
  }

  private create(chain: readonly Route[], scope: RoutingScope = 'service'): ChainState {
    return new ChainState(chain, this.policy, this.store, this.clock, this.events, scope);
  }
}
