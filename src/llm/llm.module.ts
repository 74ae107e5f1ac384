import { ConfigurableModuleBuilder, Logger, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { MetricsModule } from '../metrics/metrics.module';
import { EmbeddedSimulatorService } from './embedded-simulator.service';
import { LLM_CONFIG, LlmConfig, LlmModuleOptions, resolveLlmConfig } from './config/llm.config';
import { LlmService } from './llm.service';
import { LlmStatusService } from './status/llm-status.service';
import { LlmMetrics } from './status/llm-metrics.service';
import { RouteHealthChecker } from './probes/route-health-checker.service';
import {
  LLM_CLIENT_SETTINGS,
  LLM_MALFORMED_EVENTS,
  LLM_PROVIDERS,
  LLM_USABLE_CHAIN,
} from './llm.tokens';
import { MalformedEventTally } from './providers/sse-sanitizer';
import { LlmProvider } from './llm.types';
import { AnthropicProvider } from './providers/anthropic.provider';
import { GeminiProvider } from './providers/gemini.provider';
import { OpenAiProvider } from './providers/openai.provider';
import { ProviderClientSettingsMap } from './providers/provider-settings';
import { RouteStateRegistry } from './route-state/route-state.registry';
import { InMemoryRouteStateStore, ROUTE_STATE_STORE } from './route-state/route-state.store';
import { ROUTE_EVENT_LOG, RouteEventLog } from './route-state/route-events';
import { PROVIDER_NAMES, Route, routeLabel } from './routes';

/**
 * `LlmModule.forRoot(options)` / `forRootAsync({inject, useFactory})`. Global by default, so feature modules inject
 * `LlmService` without importing the module again; `isGlobal: false` keeps it to the importing module.
 */
export const {
  ConfigurableModuleClass: ConfigurableLlmModule,
  MODULE_OPTIONS_TOKEN: LLM_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<LlmModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

const KEY_VARIABLE = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  gemini: 'GEMINI_API_KEY',
} as const;

/** Keys and base URLs per provider: the configured ones, or the embedded simulator's. */
async function clientSettings(
  config: LlmConfig,
  simulator: EmbeddedSimulatorService,
  malformedEvents: MalformedEventTally,
): Promise<ProviderClientSettingsMap> {
  const common = {
    attemptTimeoutMs: config.attemptTimeoutMs,
    streamMaxDurationMs: config.streamMaxDurationMs,
    thinking: config.thinking,
    malformedEvents,
  };
  if (config.simulator === 'on') {
    const running = await simulator.start(config.simulatorReason ?? 'simulator enabled');
    const baseUrls = running.baseUrls;
    return {
      openai: { apiKey: 'simulated', baseUrl: baseUrls.openai, ...common },
      anthropic: { apiKey: 'simulated', baseUrl: baseUrls.anthropic, ...common },
      gemini: { apiKey: 'simulated', baseUrl: baseUrls.gemini, ...common },
    };
  }
  const settings = {} as ProviderClientSettingsMap;
  for (const name of PROVIDER_NAMES) {
    const provider = config.providers[name];
    settings[name] = { apiKey: provider?.apiKey, baseUrl: provider?.baseUrl, ...common };
  }
  return settings;
}

/** Drops routes whose provider has no key, logging the usable chain and each skipped route with its reason. */
function usableChain(config: LlmConfig, providers: LlmProvider[]): Route[] {
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
 * The resilient LLM layer: provider strategies on the official SDKs behind one fallback service. A configurable
 * dynamic module: `LlmModule.forRoot({chain, providers, ...})` or `forRootAsync(...)`; inject `LlmService`.
 * Everything a consumer may use is exported from `src/llm/index.ts`.
 */
@Module({
  imports: [ScheduleModule.forRoot(), MetricsModule],
  providers: [
    {
      provide: LLM_CONFIG,
      inject: [LLM_MODULE_OPTIONS],
      useFactory: (options: LlmModuleOptions) => resolveLlmConfig(options),
    },
    {
      provide: ROUTE_STATE_STORE,
      inject: [LLM_CONFIG],
      useFactory: (config: LlmConfig) => config.routeStateStore ?? new InMemoryRouteStateStore(),
    },
    { provide: ROUTE_EVENT_LOG, useFactory: () => new RouteEventLog() },
    EmbeddedSimulatorService,
    { provide: LLM_MALFORMED_EVENTS, useFactory: () => new MalformedEventTally() },
    {
      provide: LLM_CLIENT_SETTINGS,
      inject: [LLM_CONFIG, EmbeddedSimulatorService, LLM_MALFORMED_EVENTS],
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
      inject: [LLM_CONFIG, LLM_PROVIDERS],
      useFactory: usableChain,
    },
    RouteStateRegistry,
    LlmMetrics,
    LlmService,
    LlmStatusService,
    RouteHealthChecker,
  ],
  exports: [LlmService, LlmStatusService],
})
export class LlmModule extends ConfigurableLlmModule {}
