import {
  IsBooleanString,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
} from 'class-validator';
import {
  buildChain,
  defaultFallbacks,
  isValidModelName,
  parseRouteList,
  PROVIDER_NAMES,
  ProviderName,
  Route,
  RouteParseError,
} from './routes';
import {
  ConfigValidationError,
  Environment,
  validateEnvironment,
} from '../config/validate-environment';
import { Clock, SYSTEM_CLOCK } from '../common/clock';
import { DEFAULT_PRICES, parsePrices, PriceTable } from './prices';

const URL_RULE = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

class LlmEnvironment {
  @IsOptional() @IsIn(PROVIDER_NAMES) LLM_PROVIDER?: ProviderName;
  @IsOptional() @IsString() LLM_MODEL?: string;
  @IsOptional() @IsString() LLM_FALLBACKS?: string;
  @IsOptional() @IsInt() @Min(100) @Max(600_000) LLM_ATTEMPT_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(100) @Max(900_000) LLM_REQUEST_TIMEOUT_MS?: number;
  @IsOptional() @IsBooleanString() LLM_SIMULATOR?: string;
  @IsOptional() @IsInt() @Min(100) @Max(3_600_000) LLM_HEALTHCHECK_INTERVAL_MS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(20) LLM_HEALTHCHECK_SUCCESSES?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000) LLM_CIRCUIT_FAILURE_THRESHOLD?: number;
  @IsOptional() @IsString() LLM_PRICES?: string;
  @IsOptional() @IsInt() @Min(100) @Max(600_000) LLM_STREAM_IDLE_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(10_000) LLM_MAX_CONCURRENCY?: number;
  @IsOptional() @IsInt() @Min(0) @Max(10_000) LLM_QUEUE_SIZE?: number;
  @IsOptional() @IsInt() @Min(0) @Max(60_000) LLM_QUEUE_TIMEOUT_MS?: number;
  @IsOptional() @IsString() OPENAI_API_KEY?: string;
  @IsOptional() @IsString() ANTHROPIC_API_KEY?: string;
  @IsOptional() @IsString() GEMINI_API_KEY?: string;
  @IsOptional() @IsUrl(URL_RULE) OPENAI_BASE_URL?: string;
  @IsOptional() @IsUrl(URL_RULE) ANTHROPIC_BASE_URL?: string;
  @IsOptional() @IsUrl(URL_RULE) GEMINI_BASE_URL?: string;
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
}

export interface ProviderSettings {
  /** Never logged, never returned: only handed to the SDK client. */
  apiKey: string | undefined;
  baseUrl: string | undefined;
}

export interface LlmConfig {
  /** The configured chain, primary first, before routes without a key are dropped. */
  chain: Route[];
  providers: Partial<Record<ProviderName, ProviderSettings>>;
  attemptTimeoutMs: number;
  requestTimeoutMs: number;
  /**
   * `on`: every provider is served by the embedded simulator (explicit LLM_SIMULATOR=true, or no key at all
   * outside production). `off`: real providers.
   */
  simulator: 'on' | 'off';
  /** Why the simulator is on, for the boot warning. */
  simulatorReason?: string;
  /** Calls in flight per provider; beyond it a short queue, beyond that the route counts as overloaded. */
  maxConcurrency: number;
  queueSize: number;
  queueTimeoutMs: number;
  /** A stream silent for longer than this after its first content is a hang. */
  streamIdleTimeoutMs: number;
  healthcheckIntervalMs: number;
  healthcheckSuccesses: number;
  circuitFailureThreshold: number;
  /** USD per million tokens by `provider:model`. */
  prices: PriceTable;
  /** Log prompts (at debug level). Off by default: prompts may hold personal data. */
  logPrompts: boolean;
  /** Time, sleep and randomness (jitter); tests hand in a fake one. */
  clock: Clock;
}

/**
 * What `LlmModule.forRoot()` takes: the chain and the provider settings, everything else optional with the
 * defaults below. Another Nest app can import the module with its own chain, keys and timeouts.
 */
export type LlmModuleOptions = Pick<LlmConfig, 'chain' | 'providers'> &
  Partial<Omit<LlmConfig, 'chain' | 'providers'>>;

export const LLM_DEFAULTS = {
  attemptTimeoutMs: 60_000,
  requestTimeoutMs: 120_000,
  simulator: 'off',
  streamIdleTimeoutMs: 30_000,
  maxConcurrency: 32,
  queueSize: 16,
  queueTimeoutMs: 1_000,
  healthcheckIntervalMs: 30_000,
  healthcheckSuccesses: 2,
  circuitFailureThreshold: 3,
  prices: DEFAULT_PRICES,
  logPrompts: false,
  clock: SYSTEM_CLOCK,
} satisfies Omit<LlmConfig, 'chain' | 'providers' | 'simulatorReason'>;

/** The module's options with every default filled in. */
export function resolveLlmConfig(options: LlmModuleOptions): LlmConfig {
  if (options.chain.length === 0) throw new ConfigValidationError(['chain: at least one route']);
  const defined = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  );
  return { ...LLM_DEFAULTS, ...defined } as LlmConfig;
}

/** Injection token of the resolved configuration inside LlmModule. */
export const LLM_CONFIG = Symbol('LLM_CONFIG');

/** The LLM layer's options from the environment, validated; a bad value names the variable, never the value. */
export function loadLlmConfig(env: Environment): LlmConfig {
  const parsed = validateEnvironment(LlmEnvironment, env);
  const problems: string[] = [];

  const primaryProvider = parsed.LLM_PROVIDER ?? 'gemini';
  const primaryModel = parsed.LLM_MODEL?.trim() ?? 'gemini-3-flash-preview';
  if (!isValidModelName(primaryModel))
    problems.push('LLM_MODEL: must be a model name (letters, digits, . _ - / @ :)');

  let fallbacks: Route[] = [];
  try {
    fallbacks =
      parsed.LLM_FALLBACKS === undefined
        ? defaultFallbacks(primaryProvider)
        : parseRouteList(parsed.LLM_FALLBACKS);
  } catch (error) {
    if (!(error instanceof RouteParseError)) throw error;
    problems.push(`LLM_FALLBACKS: ${error.message}`);
  }

  const attemptTimeoutMs = parsed.LLM_ATTEMPT_TIMEOUT_MS ?? LLM_DEFAULTS.attemptTimeoutMs;
  const requestTimeoutMs = parsed.LLM_REQUEST_TIMEOUT_MS ?? LLM_DEFAULTS.requestTimeoutMs;
  if (attemptTimeoutMs > requestTimeoutMs) {
    problems.push('LLM_ATTEMPT_TIMEOUT_MS: must not exceed LLM_REQUEST_TIMEOUT_MS');
  }

  const providers: Record<ProviderName, ProviderSettings> = {
    openai: { apiKey: parsed.OPENAI_API_KEY, baseUrl: parsed.OPENAI_BASE_URL },
    anthropic: { apiKey: parsed.ANTHROPIC_API_KEY, baseUrl: parsed.ANTHROPIC_BASE_URL },
    gemini: { apiKey: parsed.GEMINI_API_KEY, baseUrl: parsed.GEMINI_BASE_URL },
  };
  const anyKey = PROVIDER_NAMES.some((name) => providers[name].apiKey !== undefined);
  const production = parsed.NODE_ENV === 'production';
  const simulatorFlag =
    parsed.LLM_SIMULATOR === undefined ? undefined : parsed.LLM_SIMULATOR === 'true';

  let simulator: LlmConfig['simulator'] = 'off';
  let simulatorReason: string | undefined;
  if (simulatorFlag === true) {
    simulator = 'on';
    simulatorReason = 'LLM_SIMULATOR=true';
  } else if (!anyKey && simulatorFlag === undefined) {
    if (production) {
      problems.push(
        'OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY: with NODE_ENV=production at least one key must be set (or LLM_SIMULATOR=true for simulated answers)',
      );
    } else {
      simulator = 'on';
      simulatorReason = 'no provider API key is set';
    }
  }

  const prices = parsePrices(parsed.LLM_PRICES, problems);
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return resolveLlmConfig({
    chain: buildChain({ provider: primaryProvider, model: primaryModel }, fallbacks),
    providers,
    attemptTimeoutMs,
    requestTimeoutMs,
    simulator,
    simulatorReason,
    streamIdleTimeoutMs: parsed.LLM_STREAM_IDLE_TIMEOUT_MS,
    maxConcurrency: parsed.LLM_MAX_CONCURRENCY,
    queueSize: parsed.LLM_QUEUE_SIZE,
    queueTimeoutMs: parsed.LLM_QUEUE_TIMEOUT_MS,
    healthcheckIntervalMs: parsed.LLM_HEALTHCHECK_INTERVAL_MS,
    healthcheckSuccesses: parsed.LLM_HEALTHCHECK_SUCCESSES,
    circuitFailureThreshold: parsed.LLM_CIRCUIT_FAILURE_THRESHOLD,
    prices,
  });
}
