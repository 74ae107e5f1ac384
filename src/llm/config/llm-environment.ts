import {
  IsBooleanString,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  Min,
} from 'class-validator';
import {
  ConfigValidationError,
  Environment,
  listItems,
  validateEnvironment,
} from '../../config/validate-environment';
import { PROVIDERS } from '../providers/registry';
import {
  buildChain,
  defaultFallbacks,
  isValidModelName,
  parseRoute,
  parseRouteList,
  PROVIDER_NAMES,
  Route,
  RouteParseError,
} from '../routes';
import { parseEndpoints } from './endpoints';
import { LlmModuleOptions, ProviderSettings, resolveLlmConfig, LlmConfig } from './llm.config';
import { parsePrices } from './prices';
import { providerConnection } from './provider-environment';
import { parseThinking, ThinkingSettings } from './thinking';

/** The LLM layer's variables (the providers' key and base-URL variables are checked per provider below). */
class LlmEnvironment {
  // llm.routes
  @IsOptional() @IsString() LLM_ENDPOINTS?: string;
  @IsOptional() @IsString() LLM_MODEL?: string;
  @IsOptional() @IsString() LLM_FALLBACKS?: string;
  @IsOptional() @IsBooleanString() LLM_SIMULATOR?: string;
  @IsOptional() @IsString() LLM_ALLOWED_ROUTES?: string;
  @IsOptional() @IsString() LLM_MODEL_ALIASES?: string;
  @IsOptional() @IsString() LLM_THINKING?: string;
  @IsOptional() @IsString() LLM_PRICES?: string;
  @IsOptional() @IsInt() @Min(1) @Max(10_000_000) LLM_AUTO_CACHE_MIN_TOKENS?: number;
  // llm.timeouts
  @IsOptional() @IsInt() @Min(100) @Max(600_000) LLM_ATTEMPT_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(100) @Max(900_000) LLM_REQUEST_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(100) @Max(600_000) LLM_FIRST_TOKEN_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(100) @Max(600_000) LLM_STREAM_IDLE_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(1_000) @Max(3_600_000) LLM_STREAM_MAX_DURATION_MS?: number;
  // llm.limits
  @IsOptional() @IsInt() @Min(1) @Max(10_000) LLM_MAX_CONCURRENCY?: number;
  @IsOptional() @IsInt() @Min(0) @Max(10_000) LLM_QUEUE_SIZE?: number;
  @IsOptional() @IsInt() @Min(0) @Max(60_000) LLM_QUEUE_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(0) @Max(10) LLM_MAX_REQUEST_FALLBACKS?: number;
  @IsOptional() @IsInt() @Min(16) @Max(10_000_000) LLM_MAX_OUTPUT_TOKENS?: number;
  @IsOptional() @IsInt() @Min(100) @Max(10_000_000) LLM_MAX_INPUT_TOKENS?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(10) LLM_RETRY_BUDGET_RATIO?: number;
  @IsOptional() @IsInt() @Min(0) @Max(1_000_000) LLM_RETRY_BUDGET_MIN?: number;
  @IsOptional() @IsInt() @Min(10) @Max(600_000) LLM_HEDGE_AFTER_MS?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) LLM_HEDGE_MAX_SHARE?: number;
  // llm.probes
  @IsOptional() @IsInt() @Min(100) @Max(3_600_000) LLM_HEALTHCHECK_INTERVAL_MS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(20) LLM_HEALTHCHECK_SUCCESSES?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000) LLM_CIRCUIT_FAILURE_THRESHOLD?: number;
  @IsOptional() @IsInt() @Min(1_000) @Max(86_400_000) LLM_DISABLED_REPROBE_MS?: number;
  @IsOptional() @IsInt() @Min(100) @Max(120_000) LLM_PROBE_TIMEOUT_MS?: number;
  // llm.policy
  @IsOptional() @IsIn(['on', 'off']) LLM_STREAM_CONTINUATION?: 'on' | 'off';
  @IsOptional() @IsInt() @Min(1) @Max(1_000) LLM_OUTPUT_FAILURES_TO_SWITCH?: number;
  @IsOptional() @IsIn(['separate', 'shared']) LLM_GATEWAY_ROUTING?: 'separate' | 'shared';
  @IsOptional() @IsBooleanString() LLM_FALLBACK_ON_CONTENT_FILTER?: string;
  @IsOptional() @IsBooleanString() LLM_FALLBACK_ON_CONTENT_FILTER_OWN_PROMPTS?: string;
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
}

/** Every vendor's connection from its `<PREFIX>_*` variables. */
function vendorConnections(env: Environment, problems: string[]): Record<string, ProviderSettings> {
  return Object.fromEntries(
    PROVIDERS.map((provider) => [
      provider.name,
      providerConnection(env, provider.environmentPrefix, problems),
    ]),
  );
}

const ALIAS_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `name=provider:model>provider:model,…`: each alias a chain, in order. */
function parseAliases(
  text: string | undefined,
  providers: readonly string[],
  problems: string[],
): Record<string, Route[]> {
  const aliases: Record<string, Route[]> = {};
  const items = listItems(text);
  for (const [position, item] of items.entries()) {
    const at = item.indexOf('=');
    const name = item.slice(0, Math.max(0, at)).trim();
    if (at <= 0 || !ALIAS_NAME.test(name) || name.toLowerCase() === 'default') {
      problems.push(
        `LLM_MODEL_ALIASES: item ${position + 1} is not name=provider:model>provider:model (a name of letters, digits, . _ -, not "default")`,
      );
      continue;
    }
    try {
      aliases[name] = item
        .slice(at + 1)
        .split('>')
        .map((route) => parseRoute(route, providers));
    } catch (error) {
      if (!(error instanceof RouteParseError)) throw error;
      problems.push(`LLM_MODEL_ALIASES: item ${position + 1}: a route ${error.message}`);
    }
  }
  return aliases;
}

function parseAllowedRoutes(
  text: string | undefined,
  providers: readonly string[],
  problems: string[],
): string[] {
  const allowed = listItems(text);
  for (const [position, item] of allowed.entries()) {
    const wildcard = /^([a-z][a-z0-9_-]*):\*$/.exec(item);
    try {
      if (wildcard) parseRoute(`${wildcard[1]}:x`, providers);
      else parseRoute(item, providers);
    } catch (error) {
      if (!(error instanceof RouteParseError)) throw error;
      problems.push(`LLM_ALLOWED_ROUTES: item ${position + 1} ${error.message} (or provider:*)`);
    }
  }
  return allowed;
}

/** Whether the providers are simulated, and why (no key outside production, or LLM_SIMULATOR=true). */
function simulatorChoice(
  parsed: LlmEnvironment,
  providers: Record<string, ProviderSettings>,
  problems: string[],
): Pick<LlmModuleOptions['routes'], 'simulator' | 'simulatorReason'> {
  if (parsed.LLM_SIMULATOR === 'true')
    return { simulator: 'on', simulatorReason: 'LLM_SIMULATOR=true' };
  const anyKey = Object.values(providers).some((provider) => provider.apiKey !== undefined);
  if (anyKey || parsed.LLM_SIMULATOR === 'false') return { simulator: 'off' };
  if (parsed.NODE_ENV !== 'production')
    return { simulator: 'on', simulatorReason: 'no provider API key is set' };
  const variables = PROVIDERS.map((provider) => `${provider.environmentPrefix}_API_KEY`);
  problems.push(
    `${variables.join(', ')}: with NODE_ENV=production at least one key must be set (or LLM_SIMULATOR=true for simulated answers)`,
  );
  return { simulator: 'off' };
}

/** The LLM layer's options from the environment, validated; a bad value names the variable, never the value. */
export function loadLlmConfig(env: Environment): LlmConfig {
  const problems: string[] = [];
  let parsed: LlmEnvironment = {};
  try {
    parsed = validateEnvironment(LlmEnvironment, env);
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    problems.push(...error.problems);
  }

  const { endpoints, connections } = parseEndpoints(env, problems);
  const providerNames = [...PROVIDER_NAMES, ...endpoints.map((endpoint) => endpoint.name)];
  const primaryProvider = env.LLM_PROVIDER?.trim().toLowerCase() || 'gemini';
  if (!providerNames.includes(primaryProvider))
    problems.push(`LLM_PROVIDER must be one of ${providerNames.join(', ')}`);
  const primaryModel = parsed.LLM_MODEL?.trim() ?? 'gemini-3-flash-preview';
  if (!isValidModelName(primaryModel))
    problems.push('LLM_MODEL: must be a model name (letters, digits, . _ - / @ :)');
  let fallbacks: Route[] = [];
  try {
    fallbacks =
      parsed.LLM_FALLBACKS === undefined
        ? defaultFallbacks(primaryProvider)
        : parseRouteList(parsed.LLM_FALLBACKS, providerNames);
  } catch (error) {
    if (!(error instanceof RouteParseError)) throw error;
    problems.push(`LLM_FALLBACKS: ${error.message}`);
  }
  const providers = { ...vendorConnections(env, problems), ...connections };
  const simulator = simulatorChoice(parsed, providers, problems);
  const prices = parsePrices(parsed.LLM_PRICES, problems);
  let thinking: ThinkingSettings | undefined;
  try {
    thinking =
      parsed.LLM_THINKING === undefined
        ? undefined
        : parseThinking(parsed.LLM_THINKING, providerNames);
  } catch (error) {
    if (!(error instanceof RouteParseError)) throw error;
    problems.push(`LLM_THINKING: ${error.message}`);
  }
  const allowedRoutes = parseAllowedRoutes(parsed.LLM_ALLOWED_ROUTES, providerNames, problems);
  const aliases = parseAliases(parsed.LLM_MODEL_ALIASES, providerNames, problems);
  const flag = (value: string | undefined) => (value === undefined ? undefined : value === 'true');
  if (problems.length > 0) throw new ConfigValidationError(problems);

  return resolveLlmConfig({
    routes: {
      chain: buildChain({ provider: primaryProvider, model: primaryModel }, fallbacks),
      providers,
      endpoints,
      ...simulator,
      allowedRoutes,
      aliases,
      thinking,
      prices,
      autoCacheMinTokens: parsed.LLM_AUTO_CACHE_MIN_TOKENS,
    },
    timeouts: {
      attemptMs: parsed.LLM_ATTEMPT_TIMEOUT_MS,
      requestMs: parsed.LLM_REQUEST_TIMEOUT_MS,
      firstTokenMs: parsed.LLM_FIRST_TOKEN_TIMEOUT_MS,
      streamIdleMs: parsed.LLM_STREAM_IDLE_TIMEOUT_MS,
      streamMaxDurationMs: parsed.LLM_STREAM_MAX_DURATION_MS,
    },
    limits: {
      maxConcurrency: parsed.LLM_MAX_CONCURRENCY,
      queueSize: parsed.LLM_QUEUE_SIZE,
      queueTimeoutMs: parsed.LLM_QUEUE_TIMEOUT_MS,
      maxRequestFallbacks: parsed.LLM_MAX_REQUEST_FALLBACKS,
      maxOutputTokens: parsed.LLM_MAX_OUTPUT_TOKENS,
      maxInputTokens: parsed.LLM_MAX_INPUT_TOKENS,
      retryBudgetRatio: parsed.LLM_RETRY_BUDGET_RATIO,
      retryBudgetMin: parsed.LLM_RETRY_BUDGET_MIN,
      hedgeAfterMs: parsed.LLM_HEDGE_AFTER_MS,
      hedgeMaxShare: parsed.LLM_HEDGE_MAX_SHARE,
    },
    probes: {
      intervalMs: parsed.LLM_HEALTHCHECK_INTERVAL_MS,
      successesToRecover: parsed.LLM_HEALTHCHECK_SUCCESSES,
      circuitFailureThreshold: parsed.LLM_CIRCUIT_FAILURE_THRESHOLD,
      disabledReprobeMs: parsed.LLM_DISABLED_REPROBE_MS,
      timeoutMs: parsed.LLM_PROBE_TIMEOUT_MS,
    },
    policy: {
      streamContinuation: parsed.LLM_STREAM_CONTINUATION,
      outputFailuresToSwitch: parsed.LLM_OUTPUT_FAILURES_TO_SWITCH,
      gatewayRouting: parsed.LLM_GATEWAY_ROUTING,
      fallbackOnContentFilter: {
        callerContent: flag(parsed.LLM_FALLBACK_ON_CONTENT_FILTER) ?? false,
        ownPrompts: flag(parsed.LLM_FALLBACK_ON_CONTENT_FILTER_OWN_PROMPTS) ?? true,
      },
    },
  });
}
