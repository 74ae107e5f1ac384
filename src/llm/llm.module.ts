import { Logger, Module } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { MetricsModule } from '../metrics/metrics.module';
import { appConfig } from '../config/app.config';
import { llmConfig } from '../config/llm.config';
import { EmbeddedSimulatorService } from './embedded-simulator.service';
import { LlmService } from './llm.service';
import { LlmStatusService } from './llm-status.service';
import { LlmMetrics } from './llm-metrics.service';
import { RouteHealthChecker } from './route-health-checker.service';
import { LLM_CLIENT_SETTINGS, LLM_PROVIDERS, LLM_USABLE_CHAIN } from './llm.tokens';
import { LlmProvider } from './llm.types';
import { AnthropicProvider } from './providers/anthropic.provider';
import { GeminiProvider } from './providers/gemini.provider';
import { OpenAiProvider } from './providers/openai.provider';
import { ProviderClientSettingsMap } from './providers/provider-settings';
import { RouteStateService } from './route-state.service';
import { RouteStateRegistry } from './route-state.registry';
import { PROVIDER_NAMES, Route, routeLabel } from './routes';

const KEY_VARIABLE = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  gemini: 'GEMINI_API_KEY',
} as const;

/** Keys and base URLs per provider: the configured ones, or the embedded simulator's. */
async function clientSettings(
  config: ConfigType<typeof llmConfig>,
  simulator: EmbeddedSimulatorService,
): Promise<ProviderClientSettingsMap> {
  const attemptTimeoutMs = config.attemptTimeoutMs;
  if (config.simulator === 'on') {
    const running = await simulator.start(config.simulatorReason ?? 'simulator enabled');
    const baseUrls = running.baseUrls;
    return {
      openai: { apiKey: 'simulated', baseUrl: baseUrls.openai, attemptTimeoutMs },
      anthropic: { apiKey: 'simulated', baseUrl: baseUrls.anthropic, attemptTimeoutMs },
      gemini: { apiKey: 'simulated', baseUrl: baseUrls.gemini, attemptTimeoutMs },
    };
  }
  const settings = {} as ProviderClientSettingsMap;
  for (const name of PROVIDER_NAMES)
    settings[name] = { ...config.providers[name], attemptTimeoutMs };
  return settings;
}

/** Drops routes whose provider has no key, logging the usable chain and each skipped route with its reason. */
function usableChain(config: ConfigType<typeof llmConfig>, providers: LlmProvider[]): Route[] {
  const logger = new Logger('LlmModule');
  const configured = new Set(
    providers.filter((provider) => provider.configured).map((provider) => provider.name),
  );
  const usable: Route[] = [];
  for (const route of config.chain) {
    if (configured.has(route.provider)) usable.push(route);
    else logger.warn(`Skipping ${routeLabel(route)}: ${KEY_VARIABLE[route.provider]} is not set`);
  }
  if (usable.length === 0) {
    throw new Error(
      `No usable LLM route: none of ${config.chain.map(routeLabel).join(', ')} has an API key. Set ${Object.values(KEY_VARIABLE).join(', ')} or LLM_SIMULATOR=true.`,
    );
  }
  logger.log(`LLM chain: ${usable.map(routeLabel).join(' -> ')}`);
  return usable;
}

/**
 * The resilient LLM layer: provider strategies on the official SDKs behind one fallback service.
 * Import it and inject `LlmService`.
 */
@Module({
  imports: [
    ConfigModule.forFeature(llmConfig),
    ConfigModule.forFeature(appConfig),
    ScheduleModule.forRoot(),
    MetricsModule,
  ],
  providers: [
    EmbeddedSimulatorService,
    {
      provide: LLM_CLIENT_SETTINGS,
      inject: [llmConfig.KEY, EmbeddedSimulatorService],
      useFactory: clientSettings,
    },
    {
      provide: LLM_PROVIDERS,
      inject: [LLM_CLIENT_SETTINGS],
      useFactory: (settings: ProviderClientSettingsMap): LlmProvider[] => [
        new GeminiProvider(settings.gemini),
        new OpenAiProvider(settings.openai),
        new AnthropicProvider(settings.anthropic),
      ],
    },
    {
      provide: LLM_USABLE_CHAIN,
      inject: [llmConfig.KEY, LLM_PROVIDERS],
      useFactory: usableChain,
    },
    RouteStateService,
    RouteStateRegistry,
    LlmMetrics,
    LlmService,
    LlmStatusService,
    RouteHealthChecker,
  ],
  exports: [
    LlmService,
    RouteStateService,
    LlmStatusService,
    RouteHealthChecker,
    LlmMetrics,
    LLM_PROVIDERS,
  ],
})
export class LlmModule {}
