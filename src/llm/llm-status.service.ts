import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { llmConfig } from '../config/llm.config';
import { LLM_PROVIDERS } from './llm.tokens';
import { LlmProvider } from './llm.types';
import { RouteStateService } from './route-state.service';
import { ProviderName, sameRoute } from './routes';

export interface RouteStatus {
  provider: ProviderName;
  model: string;
  keyConfigured: boolean;
  /** usable: in the chain; skipped: no key; disabled: key rejected (401/403). */
  state: 'usable' | 'skipped' | 'disabled';
  reason?: string;
  sticky: boolean;
}

export interface LlmStatus {
  simulated: boolean;
  sticky: { provider: ProviderName; model: string; since: string | null; reason: string | null };
  routes: RouteStatus[];
}

/** A read-only view of the LLM layer for /health/llm. Reads state; never calls a provider. */
@Injectable()
export class LlmStatusService {
  constructor(
    @Inject(llmConfig.KEY) private readonly config: ConfigType<typeof llmConfig>,
    @Inject(LLM_PROVIDERS) private readonly providers: LlmProvider[],
    private readonly routeState: RouteStateService,
  ) {}

  status(): LlmStatus {
    const sticky = this.routeState.sticky();
    const configured = new Set(this.providers.filter((p) => p.configured).map((p) => p.name));
    return {
      simulated: this.config.simulator === 'on',
      sticky: {
        provider: sticky.route.provider,
        model: sticky.route.model,
        since: sticky.since?.toISOString() ?? null,
        reason: sticky.reason ?? null,
      },
      routes: this.config.chain.map((route) => {
        const keyConfigured = configured.has(route.provider);
        const disabledReason = this.routeState.disabledReason(route);
        const state: RouteStatus['state'] = !keyConfigured
          ? 'skipped'
          : disabledReason
            ? 'disabled'
            : 'usable';
        return {
          provider: route.provider,
          model: route.model,
          keyConfigured,
          state,
          ...(state === 'skipped' ? { reason: `no API key for ${route.provider}` } : {}),
          ...(disabledReason ? { reason: `key rejected (${disabledReason})` } : {}),
          sticky: sameRoute(route, sticky.route),
        };
      }),
    };
  }
}
