import { ConfigurableModuleBuilder, Logger, Module, Provider } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { MetricsModule } from '../metrics/metrics.module';
import {
  LLM_CLOCK,
  LLM_CONFIG,
  LLM_LIMITS,
  LLM_POLICY,
  LLM_PROBES,
  LLM_ROUTES,
  LLM_TIMEOUTS,
  LlmConfig,
  LlmModuleOptions,
  resolveLlmConfig,
} from './config/llm.config';
import { RetryCountStore, WindowedRetryCounts } from './fallback/retry-budget';
import { LlmService } from './llm.service';
import {
  LLM_MALFORMED_EVENTS,
  LLM_PROVIDERS,
  LLM_RETRY_COUNTS,
  LLM_USABLE_CHAIN,
} from './llm.tokens';
import { LlmProvider } from './llm.types';
import { RouteHealthChecker } from './probes/route-health-checker.service';
import { endpointDefinition } from './providers/openai-endpoint';
import { PROVIDERS, ProviderDefinition } from './providers/registry';
import { MalformedEventTally } from './providers/sse-sanitizer';
import { ROUTE_EVENT_LOG, RouteEventLog } from './route-state/route-events';
import { RouteStateRegistry } from './route-state/route-state.registry';
import { InMemoryRouteStateStore, ROUTE_STATE_STORE } from './route-state/route-state.store';
import { Route, routeLabel } from './routes';
import { LlmMetrics } from './status/llm-metrics.service';
import { LlmStatusService } from './status/llm-status.service';

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

/** The vendors' definitions and one per named OpenAI-compatible endpoint. */
function definitionsOf(config: LlmConfig): ProviderDefinition[] {
  return [...PROVIDERS, ...config.routes.endpoints.map(endpointDefinition)];
}

/** One strategy per provider, on its official SDK, with the configured keys and base URL. */
function buildProviders(config: LlmConfig, malformedEvents: MalformedEventTally): LlmProvider[] {
  return definitionsOf(config).map((definition) => {
    const connection = config.routes.providers[definition.name];
    return definition.create({
      keys:
        connection?.keys ??
        (connection?.apiKey ? [{ name: 'default', key: connection.apiKey }] : []),
      baseUrl: connection?.baseUrl,
      attemptTimeoutMs: config.timeouts.attemptMs,
      streamMaxDurationMs: config.timeouts.streamMaxDurationMs,
      thinking: config.routes.thinking,
      autoCacheMinTokens: config.routes.autoCacheMinTokens,
      malformedEvents,
    });
  });
}

/** The strategies, their keys' state shared with the other replicas when a key-state store is configured. */
function createProviders(config: LlmConfig, malformedEvents: MalformedEventTally): LlmProvider[] {
  const providers = buildProviders(config, malformedEvents);
  const store = config.keyStateStore;
  if (store) {
    for (const provider of providers)
      provider.keys?.onChange((key, change) => store.publish(provider.name, key, change));
    store.onChange((name, key, change) =>
      providers.find((provider) => provider.name === name)?.keys?.apply(key, change),
    );
  }
  return providers;
}

/** Drops routes whose provider has no key, logging the usable chain and each skipped route with its reason. */
function usableChain(config: LlmConfig, providers: LlmProvider[]): Route[] {
  const logger = new Logger('LlmModule');
  const definitions = definitionsOf(config);
  const keyVariable = (name: string) =>
    `${definitions.find((definition) => definition.name === name)?.environmentPrefix ?? name.toUpperCase()}_API_KEY`;
  const configured = new Set(
    providers.filter((provider) => provider.configured).map((provider) => provider.name),
  );
  const usable: Route[] = [];
  for (const route of config.routes.chain) {
    if (configured.has(route.provider)) usable.push(route);
    else logger.warn(`Skipping ${routeLabel(route)}: ${keyVariable(route.provider)} is not set`);
  }
  if (usable.length === 0) {
    const variables = definitions.map((definition) => keyVariable(definition.name)).join(', ');
    throw new Error(
      `No usable LLM route: none of ${config.routes.chain.map(routeLabel).join(', ')} has an API key. Set ${variables} or LLM_SIMULATOR=true.`,
    );
  }
  logger.log(`LLM chain: ${usable.map(routeLabel).join(' -> ')}`);
  return usable;
}

/** Each configuration group under its own token, for the classes that use only that group. */
const configGroups: Provider[] = [
  { provide: LLM_ROUTES, inject: [LLM_CONFIG], useFactory: (config: LlmConfig) => config.routes },
  {
    provide: LLM_TIMEOUTS,
    inject: [LLM_CONFIG],
    useFactory: (config: LlmConfig) => config.timeouts,
  },
  { provide: LLM_LIMITS, inject: [LLM_CONFIG], useFactory: (config: LlmConfig) => config.limits },
  { provide: LLM_PROBES, inject: [LLM_CONFIG], useFactory: (config: LlmConfig) => config.probes },
  { provide: LLM_POLICY, inject: [LLM_CONFIG], useFactory: (config: LlmConfig) => config.policy },
  { provide: LLM_CLOCK, inject: [LLM_CONFIG], useFactory: (config: LlmConfig) => config.clock },
];

/**
 * The resilient LLM layer: provider strategies on the official SDKs behind one fallback service. A configurable
 * dynamic module: `LlmModule.forRoot({routes: {chain, providers}, ...})` or `forRootAsync(...)`; inject
 * `LlmService`. Everything a consumer may use is exported from `src/llm/index.ts`.
 */
@Module({
  imports: [ScheduleModule.forRoot(), MetricsModule],
  providers: [
    {
      provide: LLM_CONFIG,
      inject: [LLM_MODULE_OPTIONS],
      useFactory: (options: LlmModuleOptions) => resolveLlmConfig(options),
    },
    ...configGroups,
    {
      provide: ROUTE_STATE_STORE,
      inject: [LLM_CONFIG],
      useFactory: (config: LlmConfig) => config.routeStateStore ?? new InMemoryRouteStateStore(),
    },
    { provide: ROUTE_EVENT_LOG, useFactory: () => new RouteEventLog() },
    { provide: LLM_MALFORMED_EVENTS, useFactory: () => new MalformedEventTally() },
    {
      provide: LLM_PROVIDERS,
      inject: [LLM_CONFIG, LLM_MALFORMED_EVENTS],
      useFactory: createProviders,
    },
    { provide: LLM_USABLE_CHAIN, inject: [LLM_CONFIG, LLM_PROVIDERS], useFactory: usableChain },
    {
      provide: LLM_RETRY_COUNTS,
      inject: [LLM_CONFIG],
      useFactory: (config: LlmConfig): RetryCountStore =>
        config.retryCountStore ?? new WindowedRetryCounts(() => config.clock.date().getTime()),
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
