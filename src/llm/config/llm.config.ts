import { Clock, SYSTEM_CLOCK } from '../../common/clock';
import { ConfigValidationError } from '../../config/validate-environment';
import type { RetryCountStore } from '../fallback/retry-budget';
import type { EndpointSettings } from '../providers/endpoint-settings';
import type { KeyStateStore } from '../providers/key-state';
import type { ProbeLease } from '../route-state/probe-lease';
import type { RouteStateStore } from '../route-state/route-state.store';
import { ProviderName, Route } from '../routes';
import { PriceTable } from './prices';
import { DEFAULT_THINKING, ThinkingSettings } from './thinking';

/** One provider's connection. The key is handed to the SDK client and nowhere else: never logged, never returned. */
export interface ProviderSettings {
  /** The first key (the only one unless `keys` has more). */
  apiKey: string | undefined;
  baseUrl: string | undefined;
  /** Every key by name: `<PREFIX>_API_KEYS=name:key,…`, plus `<PREFIX>_API_KEY` as `default`. */
  keys?: Array<{ name: string; key: string }>;
}

/** What can be called: the chain, the providers' keys and base URLs, and what each route costs and thinks. */
export interface LlmRoutesConfig {
  /** The configured chain, primary first, before routes without a key are dropped. */
  chain: Route[];
  /** Each provider's connection by name: the vendors', and each endpoint's. */
  providers: Partial<Record<ProviderName, ProviderSettings>>;
  /** Named OpenAI-compatible endpoints (LLM_ENDPOINTS), providers next to the vendors. */
  endpoints: EndpointSettings[];
  /**
   * `on`: the providers are a simulator (LLM_SIMULATOR=true, or no key at all outside production); the application
   * that composes the module starts it and hands its base URLs in `providers`. Shown on the status pages.
   */
  simulator: 'on' | 'off';
  /** Why the simulator is on, for the boot banner. */
  simulatorReason?: string;
  /** Routes a caller may name besides the configured chain (`provider:model` or `provider:*`). */
  allowedRoutes: string[];
  /** Operator names for whole chains (`LLM_MODEL_ALIASES=fast=openai:gpt-4o-mini>anthropic:…`), callable on `/v1`. */
  aliases: Record<string, Route[]>;
  /** Thinking per route (`LLM_THINKING`). */
  thinking: ThinkingSettings;
  /** LLM_PRICES: USD per million tokens by `provider:model`, over the maintained price data. */
  prices: PriceTable;
  /**
   * LLM_AUTO_CACHE_MIN_TOKENS: on Anthropic routes (which cache only what is marked), a request that marks nothing
   * gets a cache breakpoint after its system prompt and tools when they are at least this long (estimated tokens).
   * Undefined: off.
   */
  autoCacheMinTokens?: number;
}

/** How long things may take. */
export interface LlmTimeoutsConfig {
  /** One provider call (LLM_ATTEMPT_TIMEOUT_MS). */
  attemptMs: number;
  /** A whole request across every attempt, backoff and wait (LLM_REQUEST_TIMEOUT_MS). */
  requestMs: number;
  /**
   * A stream's wait for its first content (LLM_FIRST_TOKEN_TIMEOUT_MS): past it the attempt fails over, however long
   * the attempt timeout (which keeps bounding non-streamed calls) would still allow.
   */
  firstTokenMs: number;
  /** A stream silent for longer than this after its first content is a hang (LLM_STREAM_IDLE_TIMEOUT_MS). */
  streamIdleMs: number;
  /** The longest a committed stream may run, whatever its pace (LLM_STREAM_MAX_DURATION_MS). */
  streamMaxDurationMs: number;
}

/** What one caller, one request and one provider may take. */
export interface LlmLimitsConfig {
  /** Calls in flight per provider; beyond it a short queue, beyond that the route counts as overloaded. */
  maxConcurrency: number;
  queueSize: number;
  queueTimeoutMs: number;
  /** Fallbacks a caller may add to one request. */
  maxRequestFallbacks: number;
  /** The largest output limit a caller may ask for. */
  maxOutputTokens: number;
  /** The largest estimated input a caller may send. */
  maxInputTokens: number;
  /**
   * The fleet's retry budget per provider: calls to a provider a request has already called, as a share of recent
   * first calls (LLM_RETRY_BUDGET_RATIO), with a floor per 10 s window (LLM_RETRY_BUDGET_MIN).
   */
  retryBudgetRatio: number;
  retryBudgetMin: number;
  /**
   * Hedged requests (off unless set): a plain call without tools that has not answered after LLM_HEDGE_AFTER_MS
   * starts the next route too; the first answer wins, both are charged. At most LLM_HEDGE_MAX_SHARE of calls.
   */
  hedgeAfterMs?: number;
  hedgeMaxShare: number;
}

/** Circuits and the scheduled recovery probes. */
export interface LlmProbesConfig {
  /** The longest wait between probe rounds while a route needs probing (LLM_HEALTHCHECK_INTERVAL_MS). */
  intervalMs: number;
  /** Probe successes in a row that close a circuit and move traffic back (LLM_HEALTHCHECK_SUCCESSES). */
  successesToRecover: number;
  /** Availability failures in a row that open a circuit (LLM_CIRCUIT_FAILURE_THRESHOLD). */
  circuitFailureThreshold: number;
  /** A route with a rejected key is probed again after this long. */
  disabledReprobeMs: number;
  /** One recovery probe. */
  timeoutMs: number;
}

/** Choices of the failure policy that an operator may change. */
export interface LlmPolicyConfig {
  /**
   * `on`: a stream that fails after content was sent goes on, on the next route, from where it stopped
   * (LLM_STREAM_CONTINUATION); `off`: it ends with an error.
   */
  streamContinuation: 'on' | 'off';
  /** Output failures in a row on one route that move the sticky route (a model that keeps breaking its output). */
  outputFailuresToSwitch: number;
  /**
   * Whether a content-policy refusal falls over to the next vendor: for content the caller wrote (`/v1`; default
   * no: the caller gets 400 content_filter) and for the service's own prompts (profiles, lessons; default yes).
   */
  fallbackOnContentFilter: { callerContent: boolean; ownPrompts: boolean };
  /** Log prompts (at debug level). Off by default: prompts may hold personal data. */
  logPrompts: boolean;
  /**
   * `separate` (default): `/v1` traffic keeps its own routing state (circuits, sticky route), so what gateway
   * callers send (huge outputs that time out, one key's rate limits) never moves the service's own profiles and
   * lessons; `shared`: one state for both (LLM_GATEWAY_ROUTING).
   */
  gatewayRouting: 'separate' | 'shared';
}

/** The LLM layer's configuration: one group per concern, each injected where it is used. */
export interface LlmConfig {
  routes: LlmRoutesConfig;
  timeouts: LlmTimeoutsConfig;
  limits: LlmLimitsConfig;
  probes: LlmProbesConfig;
  policy: LlmPolicyConfig;
  /** Time, sleep and randomness (jitter); tests hand in a fake one. */
  clock: Clock;
  /** Where routing state lives: this process (the default) or a store shared by every replica. */
  routeStateStore?: RouteStateStore;
  /** Whether this process runs the recovery probes now: always (the default), or while it holds a shared lease. */
  probeLease?: ProbeLease;
  /** Where provider keys' cooldowns, quotas and rejections are shared with the other replicas (none: this process). */
  keyStateStore?: KeyStateStore;
  /** Where the retry budget's counts are shared with the other replicas (none: this process). */
  retryCountStore?: RetryCountStore;
}

/**
 * What `LlmModule.forRoot()` takes: the chain and the providers, everything else optional with the defaults below.
 * Another Nest app can import the module with its own chain, keys and timeouts.
 */
export interface LlmModuleOptions {
  routes: Pick<LlmRoutesConfig, 'chain' | 'providers'> & Partial<LlmRoutesConfig>;
  timeouts?: Partial<LlmTimeoutsConfig>;
  limits?: Partial<LlmLimitsConfig>;
  probes?: Partial<LlmProbesConfig>;
  policy?: Partial<LlmPolicyConfig>;
  clock?: Clock;
  routeStateStore?: RouteStateStore;
  probeLease?: ProbeLease;
  keyStateStore?: KeyStateStore;
  retryCountStore?: RetryCountStore;
}

export const LLM_DEFAULTS = {
  routes: {
    simulator: 'off',
    allowedRoutes: [],
    aliases: {},
    endpoints: [],
    thinking: DEFAULT_THINKING,
    prices: {},
  } satisfies Omit<LlmRoutesConfig, 'chain' | 'providers' | 'simulatorReason'>,
  timeouts: {
    attemptMs: 60_000,
    requestMs: 120_000,
    firstTokenMs: 10_000,
    streamIdleMs: 30_000,
    streamMaxDurationMs: 120_000,
  } satisfies LlmTimeoutsConfig,
  limits: {
    maxConcurrency: 32,
    queueSize: 16,
    queueTimeoutMs: 1_000,
    maxRequestFallbacks: 3,
    maxOutputTokens: 8_192,
    maxInputTokens: 200_000,
    retryBudgetRatio: 0.2,
    retryBudgetMin: 10,
    hedgeMaxShare: 0.05,
  } satisfies LlmLimitsConfig,
  probes: {
    intervalMs: 10_000,
    successesToRecover: 2,
    circuitFailureThreshold: 3,
    disabledReprobeMs: 600_000,
    timeoutMs: 10_000,
  } satisfies LlmProbesConfig,
  policy: {
    streamContinuation: 'on',
    outputFailuresToSwitch: 3,
    gatewayRouting: 'separate',
    fallbackOnContentFilter: { callerContent: false, ownPrompts: true },
    logPrompts: false,
  } satisfies LlmPolicyConfig,
} as const;

/** `group` with the defined values of `given` over `defaults` (an undefined value keeps the default). */
function withDefaults<T extends object>(defaults: T, given: Partial<T> | undefined): T {
  const defined = Object.entries(given ?? {}).filter(([, value]) => value !== undefined);
  return { ...defaults, ...(Object.fromEntries(defined) as Partial<T>) };
}

/** The module's options with every default filled in. */
export function resolveLlmConfig(options: LlmModuleOptions): LlmConfig {
  if (options.routes.chain.length === 0)
    throw new ConfigValidationError(['chain: at least one route']);
  const timeouts = withDefaults<LlmTimeoutsConfig>(LLM_DEFAULTS.timeouts, options.timeouts);
  if (timeouts.attemptMs > timeouts.requestMs)
    throw new ConfigValidationError([
      'LLM_ATTEMPT_TIMEOUT_MS: must not exceed LLM_REQUEST_TIMEOUT_MS',
    ]);
  return {
    routes: withDefaults<LlmRoutesConfig>(
      {
        ...LLM_DEFAULTS.routes,
        allowedRoutes: [],
        aliases: {},
        endpoints: [],
        chain: [],
        providers: {},
      },
      options.routes,
    ),
    timeouts,
    limits: withDefaults<LlmLimitsConfig>(LLM_DEFAULTS.limits, options.limits),
    probes: withDefaults<LlmProbesConfig>(LLM_DEFAULTS.probes, options.probes),
    policy: withDefaults<LlmPolicyConfig>(LLM_DEFAULTS.policy, options.policy),
    clock: options.clock ?? SYSTEM_CLOCK,
    routeStateStore: options.routeStateStore,
    probeLease: options.probeLease,
    keyStateStore: options.keyStateStore,
    retryCountStore: options.retryCountStore,
  };
}

/** Injection tokens inside LlmModule: the whole configuration, and each group for the classes that use only it. */
export const LLM_CONFIG = Symbol('LLM_CONFIG');
export const LLM_ROUTES = Symbol('LLM_ROUTES');
export const LLM_TIMEOUTS = Symbol('LLM_TIMEOUTS');
export const LLM_LIMITS = Symbol('LLM_LIMITS');
export const LLM_PROBES = Symbol('LLM_PROBES');
export const LLM_POLICY = Symbol('LLM_POLICY');
export const LLM_CLOCK = Symbol('LLM_CLOCK');
