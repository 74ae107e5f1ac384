import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { llmConfig } from '../config/llm.config';
import { RouteStateService } from './route-state.service';
import { Route, routeId } from './routes';

/** Per-request chains (the chat endpoint's `fallbacks`) beyond this many distinct ones evict the least recent. */
const MAX_CHAINS = 64;

/**
 * Routing state per distinct chain: the configured chain's state (the one /health/llm and the metrics show) and one
 * for each per-request chain, so stickiness on one chain never moves traffic on another.
 */
@Injectable()
export class RouteStateRegistry {
  private readonly chains = new Map<string, RouteStateService>();
  private readonly defaultKey: string;

  constructor(
    readonly defaultState: RouteStateService,
    @Inject(llmConfig.KEY)
    private readonly config: Pick<ConfigType<typeof llmConfig>, 'circuitFailureThreshold'>,
  ) {
    this.defaultKey = defaultState.routes.map(routeId).join(',');
  }

  forChain(chain: readonly Route[] | undefined): RouteStateService {
    if (!chain) return this.defaultState;
    const key = chain.map(routeId).join(',');
    if (key === this.defaultKey) return this.defaultState;
    const existing = this.chains.get(key);
    if (existing) {
      this.chains.delete(key);
      this.chains.set(key, existing);
      return existing;
    }
    const created = new RouteStateService(chain, this.config);
    this.chains.set(key, created);
    if (this.chains.size > MAX_CHAINS)
      this.chains.delete(this.chains.keys().next().value as string);
    return created;
  }

  all(): RouteStateService[] {
    return [this.defaultState, ...this.chains.values()];
  }
}
