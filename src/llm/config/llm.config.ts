import type { ProbeLease } from '../route-state/probe-lease';
import type { RouteStateStore } from '../route-state/route-state.store';
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
  parseRoute,
  parseRouteList,
  PROVIDER_NAMES,
  ProviderName,
  Route,
  RouteParseError,
} from '../routes';
import {
  ConfigValidationError,
  Environment,
  validateEnvironment,
} from '../../config/validate-environment';
import { Clock, SYSTEM_CLOCK } from '../../common/clock';
import { DEFAULT_PRICES, parsePrices, PriceTable } from './prices';
import { DEFAULT_THINKING, parseThinking, ThinkingSettings } from './thinking';

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
  @IsOptional() @IsInt() @Min(100) @Max(600_000) LLM_FIRST_TOKEN_TIMEOUT_MS?: number;
  @IsOptional() @IsIn(['on', 'off']) LLM_STREAM_CONTINUATION?: 'on' | 'off';
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
  @IsOptional() @IsInt() @Min(1) @Max(1_000) LLM_OUTPUT_FAILURES_TO_SWITCH?: number;
  @IsOptional() @IsInt() @Min(1_000) @Max(86_400_000) LLM_DISABLED_REPROBE_MS?: number;
  @IsOptional() @IsInt() @Min(100) @Max(120_000) LLM_PROBE_TIMEOUT_MS?: number;
  @IsOptional() @IsString() LLM_THINKING?: string;
  @IsOptional() @IsBooleanString() LLM_FALLBACK_ON_CONTENT_FILTER?: string;
  @IsOptional() @IsBooleanString() LLM_FALLBACK_ON_CONTENT_FILTER_OWN_PROMPTS?: string;
  @IsOptional() @IsInt() @Min(1_000) @Max(3_600_000) LLM_STREAM_MAX_DURATION_MS?: number;
  @IsOptional() @IsString() LLM_ALLOWED_ROUTES?: string;
  @IsOptional() @IsInt() @Min(0) @Max(10) LLM_MAX_REQUEST_FALLBACKS?: number;
  @IsOptional() @IsInt() @Min(16) @Max(1_000_000) LLM_MAX_OUTPUT_TOKENS?: number;
  @IsOptional() @IsInt() @Min(100) @Max(10_000_000) LLM_MAX_INPUT_TOKENS?: number;
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
  /**
   * A stream's wait for its first content (LLM_FIRST_TOKEN_TIMEOUT_MS): past it the attempt fails over, however long
   * the attempt timeout (which keeps bounding non-streamed calls) would still allow.
   */
  firstTokenTimeoutMs: number;
  /**
   * `on`: a stream that fails after content was sent goes on, on the next route, from where it stopped
   * (LLM_STREAM_CONTINUATION); `off`: it ends with an error, as before.
   */
  streamContinuation: 'on' | 'off';
  healthcheckIntervalMs: number;
  healthcheckSuccesses: number;
  circuitFailureThreshold: number;
  /** USD per million tokens by `provider:model`. */
  prices: PriceTable;
  /** Output failures in a row on one route that move the sticky route (a model that keeps breaking its output). */
  outputFailuresToSwitch: number;
  /** A route with a rejected key is probed again after this long. */
  disabledReprobeMs: number;
  /** One recovery probe. */
  probeTimeoutMs: number;
  /** Thinking per route (`LLM_THINKING`). */
  thinking: ThinkingSettings;
  /**
   * Whether a content-policy refusal falls over to the next vendor: for content the caller wrote (`/v1`; default
   * no: the caller gets 400 content_filter) and for the service's own prompts (profiles, lessons; default yes).
   */
  fallbackOnContentFilter: { callerContent: boolean; ownPrompts: boolean };
  /** The longest a committed stream may run, whatever its pace. */
  streamMaxDurationMs: number;
  /** Routes a caller may name besides the configured chain (`provider:model` or `provider:*`). */
  allowedRoutes: string[];
  /** Fallbacks a caller may add to one request. */
  maxRequestFallbacks: number;
  /** The largest output limit a caller may ask for. */
  maxOutputTokens: number;
  /** The largest estimated input a caller may send. */
  maxInputTokens: number;
  /** Log prompts (at debug level). Off by default: prompts may hold personal data. */
  logPrompts: boolean;
  /** Time, sleep and randomness (jitter); tests hand in a fake one. */
  clock: Clock;
  /** Where routing state lives: this process (the default) or a store shared by every replica. */
  routeStateStore?: RouteStateStore;
  /** Whether this process runs the recovery probes now: always (the default), or while it holds a shared lease. */
  probeLease?: ProbeLease;
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
  firstTokenTimeoutMs: 15_000,
  streamContinuation: 'on',
  maxConcurrency: 32,
  queueSize: 16,
  queueTimeoutMs: 1_000,
  healthcheckIntervalMs: 10_000,
  healthcheckSuccesses: 2,
  circuitFailureThreshold: 3,
  prices: DEFAULT_PRICES,
  outputFailuresToSwitch: 3,
  disabledReprobeMs: 600_000,
  probeTimeoutMs: 10_000,
  thinking: DEFAULT_THINKING,
  fallbackOnContentFilter: { callerContent: false, ownPrompts: true },
  streamMaxDurationMs: 120_000,
  allowedRoutes: [],
  maxRequestFallbacks: 3,
  maxOutputTokens: 8_192,
  maxInputTokens: 200_000,
  logPrompts: false,
  clock: SYSTEM_CLOCK,
} satisfies Omit<
  LlmConfig,
  'chain' | 'providers' | 'simulatorReason' | 'routeStateStore' | 'probeLease'
>;

/** The module's options with every default filled in. */
export function resolveLlmConfig(options: LlmModuleOptions): LlmConfig {
  if (options.chain.length === 0) throw new ConfigValidationError(['chain: at least one route']);
  const defined = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as LlmModuleOptions;
  return { ...LLM_DEFAULTS, ...defined };
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
  let thinking: ThinkingSettings | undefined;
  try {
    thinking = parsed.LLM_THINKING === undefined ? undefined : parseThinking(parsed.LLM_THINKING);
  } catch (error) {
    if (!(error instanceof RouteParseError)) throw error;
    problems.push(`LLM_THINKING: ${error.message}`);
  }
  const allowedRoutes = (parsed.LLM_ALLOWED_ROUTES ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  for (const [position, item] of allowedRoutes.entries()) {
    const wildcard = /^([a-z]+):\*$/.exec(item);
    try {
      if (wildcard) parseRoute(`${wildcard[1]}:x`);
      else parseRoute(item);
    } catch (error) {
      if (!(error instanceof RouteParseError)) throw error;
      problems.push(`LLM_ALLOWED_ROUTES: item ${position + 1} ${error.message} (or provider:*)`);
    }
  }
  const flag = (value: string | undefined) => (value === undefined ? undefined : value === 'true');
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return resolveLlmConfig({
    chain: buildChain({ provider: primaryProvider, model: primaryModel }, fallbacks),
    providers,
    attemptTimeoutMs,
    requestTimeoutMs,
    simulator,
    simulatorReason,
    streamIdleTimeoutMs: parsed.LLM_STREAM_IDLE_TIMEOUT_MS,
    firstTokenTimeoutMs: parsed.LLM_FIRST_TOKEN_TIMEOUT_MS,
    streamContinuation: parsed.LLM_STREAM_CONTINUATION,
    maxConcurrency: parsed.LLM_MAX_CONCURRENCY,
    queueSize: parsed.LLM_QUEUE_SIZE,
    queueTimeoutMs: parsed.LLM_QUEUE_TIMEOUT_MS,
    healthcheckIntervalMs: parsed.LLM_HEALTHCHECK_INTERVAL_MS,
    healthcheckSuccesses: parsed.LLM_HEALTHCHECK_SUCCESSES,
    circuitFailureThreshold: parsed.LLM_CIRCUIT_FAILURE_THRESHOLD,
    prices,
    outputFailuresToSwitch: parsed.LLM_OUTPUT_FAILURES_TO_SWITCH,
    disabledReprobeMs: parsed.LLM_DISABLED_REPROBE_MS,
    probeTimeoutMs: parsed.LLM_PROBE_TIMEOUT_MS,
    thinking,
    fallbackOnContentFilter: {
      callerContent:
        flag(parsed.LLM_FALLBACK_ON_CONTENT_FILTER) ??
        LLM_DEFAULTS.fallbackOnContentFilter.callerContent,
      ownPrompts:
        flag(parsed.LLM_FALLBACK_ON_CONTENT_FILTER_OWN_PROMPTS) ??
        LLM_DEFAULTS.fallbackOnContentFilter.ownPrompts,
    },
    streamMaxDurationMs: parsed.LLM_STREAM_MAX_DURATION_MS,
    allowedRoutes,
    maxRequestFallbacks: parsed.LLM_MAX_REQUEST_FALLBACKS,
    maxOutputTokens: parsed.LLM_MAX_OUTPUT_TOKENS,
    maxInputTokens: parsed.LLM_MAX_INPUT_TOKENS,
  });
}
