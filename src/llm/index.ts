/**
 * The public face of the LLM layer. Features (profiles, lessons, courses, the gateway, health) import from
 * `../llm` only, never from a file inside it.
 */
export { LlmModule } from './llm.module';
export { LlmService } from './llm.service';
export type {
  CallerLimits,
  CallOptions,
  GenerateObjectParams,
  StreamObjectHandlers,
} from './llm.service';
export type { StreamSession } from './stream-session';
export { LlmStatusService } from './llm-status.service';
export type { LlmStatus, RouteStatus } from './llm-status.service';
export type { RouteEvent, RouteEventType } from './route-events';
export type { RecentAttemptsSummary } from './recent-attempts';
export { loadLlmConfig, LLM_DEFAULTS } from './llm.config';
export type { LlmConfig, LlmModuleOptions, ProviderSettings } from './llm.config';
export type { PriceTable, TokenPrice } from './prices';
export type { ThinkingLevel } from './thinking';
export { estimateInputTokens } from './token-estimate';
export type { Interpret } from './attempt';
export {
  AllRoutesFailedError,
  ContentFilteredError,
  FAILURE_KINDS,
  ProviderError,
  RequestAbortedError,
} from './llm.errors';
export type { FailureKind } from './llm.errors';
export type {
  AttemptOutcome,
  AttemptRecord,
  ChatMessage,
  FinishReason,
  LlmCallMeta,
  LlmResult,
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
  parseRoute,
  parseRouteList,
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
export { allRoutesFailedSchema, attemptSchema, llmMetaSchema } from './llm.schemas';
