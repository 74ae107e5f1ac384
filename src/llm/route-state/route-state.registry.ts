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
import { ChainPolicy, ChainState, chainKey } from './chain-state';
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
    let routes: Route[];
    try {
      routes = key.split(',').map((id) => parseRoute(id));
    } catch (error) {
      if (error instanceof RouteParseError) return;
      throw error;
    }
    this.forChain(routes);
  }

  forChain(chain: readonly Route[] | undefined): ChainState {
    if (!chain) return this.defaultState;
    const key = chainKey(chain);
    if (key === this.defaultState.key) return this.defaultState;
    const existing = this.chains.get(key);
    if (existing) {
      this.chains.delete(key);
      this.chains.set(key, existing);
      return existing;
    }
    const created = this.create(chain);
    this.chains.set(key, created);
    if (this.chains.size > MAX_CHAINS) {
      const oldest = this.chains.keys().next().value as string;
      this.chains.delete(oldest);
      this.store.forget(oldest);
    }
    return created;
  }

  all(): ChainState[] {
    return [this.defaultState, ...this.chains.values()];
  }

  private create(chain: readonly Route[]): ChainState {
    return new ChainState(chain, this.policy, this.store, this.clock, this.events);
  }
}
