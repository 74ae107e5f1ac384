import { SchedulerRegistry } from '@nestjs/schedule';
import { Registry } from 'prom-client';
import { LlmConfig, LlmModuleOptions, resolveLlmConfig } from '../../src/llm/config/llm.config';
import { WindowedRetryCounts } from '../../src/llm/fallback/retry-budget';
import { LlmService } from '../../src/llm/llm.service';
import { LlmProvider } from '../../src/llm/llm.types';
import { RouteHealthChecker } from '../../src/llm/probes/route-health-checker.service';
import { RouteEventLog } from '../../src/llm/route-state/route-events';
import { RouteStateRegistry } from '../../src/llm/route-state/route-state.registry';
import {
  InMemoryRouteStateStore,
  RouteStateStore,
} from '../../src/llm/route-state/route-state.store';
import { LlmMetrics } from '../../src/llm/status/llm-metrics.service';

/**
 * The LLM layer's parts wired by hand as LlmModule wires them (for unit specs with typed fake providers): the
 * configuration from `options` with the defaults, a route-state registry over `store`, metrics on a fresh registry.
 */
export function llmParts(
  options: LlmModuleOptions,
  providers: LlmProvider[] = [],
  store: RouteStateStore = new InMemoryRouteStateStore(),
) {
  const config: LlmConfig = resolveLlmConfig(options);
  const registry = new RouteStateRegistry(
    config.routes.chain,
    config.probes,
    config.policy,
    config.clock,
    store,
    new RouteEventLog(),
  );
  const prometheus = new Registry();
  const metrics = new LlmMetrics(prometheus, registry, config.routes, config.clock);
  const service = () =>
    new LlmService(
      providers,
      config.routes,
      config.timeouts,
      config.limits,
      config.policy,
      config.clock,
      registry,
      metrics,
      config.retryCountStore ?? new WindowedRetryCounts(() => config.clock.date().getTime()),
    );
  const checker = (scheduler = new SchedulerRegistry()) =>
    new RouteHealthChecker(
      config.probes,
      config.clock,
      config,
      providers,
      registry,
      metrics,
      scheduler,
    );
  return { config, registry, metrics, prometheus, service, checker };
}
