/**
 * The public face of the LLM layer. Features (profiles, lessons, courses, the gateway, health) import from
 * `../llm` only, never from a file inside it.
 */
export { LlmModule } from './llm.module';
export { LlmService } from './llm.service';
export type { StreamSession } from './streaming/stream-session';
export { LlmStatusService } from './status/llm-status.service';
export type { LlmStatus, RouteStatus } from './status/llm-status.service';
export type { RouteEvent, RouteEventType } from './route-state/route-events';
export type { RecentAttemptsSummary } from './status/recent-attempts';
export { LLM_DEFAULTS } from './config/llm.config';
export { loadLlmConfig } from './config/llm-environment';
export type {
  LlmConfig,
  LlmLimitsConfig,
  LlmModuleOptions,
  LlmPolicyConfig,
  LlmProbesConfig,
  LlmRoutesConfig,
  LlmTimeoutsConfig,
  ProviderSettings,
} from './config/llm.config';
export type { PriceTable, TokenPrice } from './config/prices';
export type { ThinkingLevel } from './config/thinking';
export { estimateInputTokens } from './fallback/token-estimate';
export type { Interpret } from './fallback/attempt';
export {
  AllRoutesFailedError,
  ContentFilteredError,
  FAILURE_KINDS,
  ProviderError,
  RequestAbortedError,
  RequestRefusedError,
} from './llm.errors';
export type { FailureKind } from './llm.errors';
export type {
  CallerLimits,
  CallOptions,
  GenerateObjectParams,
  StreamObjectHandlers,
  AttemptOutcome,
  AttemptRecord,
  ChatMessage,
  FinishReason,
  LlmCallMeta,
  LlmResult,
  Spent,
  ProviderRequest,
  ProviderResponse,
  ResponseFormat,
  SamplingParameter,
  StreamContinuation,
  StreamEvent,
  TokenUsage,
  ToolCall,
  ToolChoice,
  ToolDefinition,
} from './llm.types';
export {
  buildChain,
  isProviderName,
  parseRoute,
  parseRouteList,
  PROVIDER_ID,
  PROVIDER_NAMES,
  RouteParseError,
  routeId,
  routeLabel,
} from './routes';
export type { ProviderName, Route } from './routes';
export type {
  ChainRecord,
  RouteCounts,
  RouteRecord,
  RouteStateStore,
  SharedStateStatus,
  StickyPointer,
} from './route-state/route-state.store';
export { COUNT_FIELDS, zeroCounts } from './route-state/route-state.store';
export type { ProbeLease } from './route-state/probe-lease';
export type { KeyChange, KeyStateStore } from './providers/key-state';
export { RETRY_WINDOW_SECONDS, WindowedRetryCounts } from './fallback/retry-budget';
export type { RetryCounts, RetryCountStore } from './fallback/retry-budget';
export {
  allRoutesFailedSchema,
  attemptSchema,
  llmMetaSchema,
  spentSchema,
} from './status/llm.schemas';
