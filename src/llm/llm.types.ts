import type { ClassConstructor } from 'class-transformer';
import type { JsonSchema } from '../common/json-schema';
import type { ThinkingLevel } from './config/thinking';
import type { KeyChange } from './providers/key-state';
import { ProviderName, Route } from './routes';

export type { JsonSchema };

/** Every way a provider call can fail, decided at the provider boundary. */
export const FAILURE_KINDS = [
  'overloaded',
  'rate_limited',
  'server_error',
  'timeout',
  'network',
  'auth',
  'bad_request',
  'context_length',
  'content_blocked',
  'truncated',
  'invalid_output',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface FailureDetails {
  kind: FailureKind;
  status?: number;
  retryAfterMs?: number;
  /** For a refusal: the provider's own reason, from a structured field (`content_policy_violation`, `SAFETY`). */
  reason?: string;
  /** A stream that ended without its provider's end marker (cut), as opposed to a length finish. */
  cutShort?: boolean;
}

/** A function call the model made: `arguments` is the JSON text of its arguments. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A function the model may call, with a JSON Schema for its arguments. */
export interface ToolDefinition {
  name: string;
  description?: string;
  parameters: JsonSchema;
}

/** Whether the model may (`auto`), must not (`none`), must (`required`) call a tool, or must call this one. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/**
 * One turn of the conversation. An assistant turn may carry the tool calls it made (its text may then be empty);
 * a `tool` turn is the result of one call, by its id. Every provider strategy translates these into its own wire
 * format, so a call made by one provider can be answered and continued on another.
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** assistant: the calls it made. */
  toolCalls?: ToolCall[];
  /** tool: the call this result answers. */
  toolCallId?: string;
  /**
   * The conversation up to and including this message repeats across requests (a system prompt, a learner's profile):
   * providers that cache prompts explicitly (Anthropic) mark a cache breakpoint here.
   */
  cacheBreakpoint?: boolean;
}

/** What the caller wants back: free text, any JSON object, or JSON that matches a schema (native structured output). */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: JsonSchema };

/** One provider call, model included. Providers translate it into their own wire format. */
export interface ProviderRequest {
  model: string;
  messages: ChatMessage[];
  responseFormat: ResponseFormat;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /**
   * The caller set its own output limit and wants a `length` finish back instead of a failure. Without it a
   * truncated answer is a `truncated` failure (next route).
   */
  allowTruncation?: boolean;
  /** Thinking for this call; when unset, the route's level from LLM_THINKING. */
  thinking?: ThinkingLevel;
  /** Functions the model may call. */
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** The caller's `prompt_cache_key` (/v1): sent to OpenAI as is, and it keeps the request on one provider key. */
  cacheKey?: string;
  /** What else keeps a caller's requests on one provider key (a hash of /v1's `user`); never sent to a provider. */
  affinity?: string;
}

/** One of a provider's keys as status pages show it: by name, never by value. */
export interface KeyStatus {
  name: string;
  state: 'ready' | 'cooling' | 'exhausted' | 'disabled';
  /** When a cooling, exhausted or disabled key is tried again (ISO 8601). */
  until?: string;
  /** What its rate-limit headers last said was left. */
  remaining?: number;
  reason?: string;
}

/** What the fallback loop asks of a provider's keys (a `KeyRing`). */
export interface ProviderKeys {
  readonly size: number;
  /** Some key is usable now. */
  hasReady(): boolean;
  /** Milliseconds until some key is usable again. */
  readyInMs(): number;
  status(): KeyStatus[];
  /** Sends every change made here to `listener` (the shared store). */
  onChange(listener: (key: string, change: KeyChange) => void): void;
  /** A change another replica made. */
  apply(key: string, change: KeyChange): void;
}

/** Sampling parameters each provider can honour; the others are dropped (and reported by the chat endpoint). */
export type SamplingParameter =
  'temperature' | 'topP' | 'stop' | 'seed' | 'presencePenalty' | 'frequencyPenalty';

export interface TokenUsage {
  /** Every input token the provider read, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** Of `inputTokens`, those read from the provider's prompt cache (billed at a fraction of fresh input). */
  cachedInputTokens?: number;
  /** Of `inputTokens`, those written to the prompt cache (Anthropic bills them above fresh input). */
  cacheWriteTokens?: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls';

export interface ProviderResponse {
  /** The model's answer as text; for json_schema requests, the JSON document. */
  text: string;
  usage: TokenUsage;
  /** `length` only when the request allowed truncation; `tool_calls` when the model called tools. */
  finish: FinishReason;
  /** The function calls the model made (then `text` may be empty). */
  toolCalls?: ToolCall[];
  /** The name of the provider key that answered (never its value): for traces. */
  key?: string;
}

/** A streamed answer: text deltas, then exactly one `end` (an incomplete stream throws instead). */
/** How a continuation asks the next route to go on: an assistant prefill, or an instruction after the partial answer. */
export type ContinuationMethod = 'prefill' | 'instruction';

/** One hand-over of a stream to another route after it failed mid-answer (`provider:model` ids). */
export interface StreamContinuation {
  from: string;
  to: string;
  /** The failure that ended the stream on `from`. */
  reason: string;
  method: ContinuationMethod;
}

export type StreamEvent =
  | { type: 'text'; text: string }
  /** One complete function call (providers stream their arguments in pieces; they are joined first). */
  | { type: 'tool_call'; call: ToolCall }
  | {
      type: 'end';
      finish: FinishReason;
      /** From a provider: its usage. From a session: the usage of every segment of the stream, summed. */
      usage: TokenUsage;
      /** Set by the session: the route that finished the answer. */
      route?: { provider: ProviderName; model: string };
      /** Set by the session: every attempt of the request (also those after the response headers were sent). */
      attempts?: AttemptRecord[];
      /** Set when the answer was continued on other routes after failing mid-stream. */
      continuations?: StreamContinuation[];
    };

export interface ProviderCallOptions {
  /** Aborts on the attempt timeout, the request deadline or the caller going away. */
  signal: AbortSignal;
  timeoutMs: number;
}

/**
 * A provider strategy: one per vendor, on the vendor's official SDK. It throws only `ProviderError`, classified
 * from SDK error classes, HTTP status and finish reasons.
 */
export interface LlmProvider {
  readonly name: ProviderName;
  /** The provider as OpenTelemetry's GenAI conventions name it (`gen_ai.provider.name`). */
  readonly telemetryName: string;
  /** False when no API key is configured; its routes are skipped. */
  readonly configured: boolean;
  /** Sampling parameters this provider honours. */
  readonly supports: ReadonlySet<SamplingParameter>;
  generate(request: ProviderRequest, options: ProviderCallOptions): Promise<ProviderResponse>;
  /** Streams the answer; a stream that ends without the provider's end marker throws `truncated`. */
  stream(request: ProviderRequest, options: ProviderCallOptions): AsyncIterable<StreamEvent>;
  /**
   * Whether `model` continues a partial answer given as a final assistant turn (a prefill). A continuation uses an
   * instruction where it does not; a route that rejects a prefill it was believed to take is remembered.
   */
  acceptsPrefill(model: string): boolean;
  /** The provider's keys (OPENAI_API_KEYS=name:key,…), when it has a key ring. */
  readonly keys?: ProviderKeys;
}

/** What an attempt told about its route: it answered, or how it failed. */
export type AttemptOutcome = 'success' | FailureKind;

/** An attempt as the request's list records it: what it told about its route, or that the caller left during it. */
export type RecordedOutcome = AttemptOutcome | 'client_aborted';

export interface AttemptRecord {
  provider: ProviderName;
  model: string;
  outcome: RecordedOutcome;
  status?: number;
  durationMs: number;
}

/** What every LLM result carries, so callers and responses can say which route answered and how. */
export interface LlmCallMeta {
  provider: ProviderName;
  model: string;
  fallbackUsed: boolean;
  attempts: AttemptRecord[];
  /** The answering attempt's usage. */
  usage: TokenUsage;
  /** What the whole request cost, every attempt included (failed ones too). */
  spent: Spent;
  durationMs: number;
}

/** Tokens and estimated cost over a request's attempts; `usd` is null when an attempt's route has no known price. */
export interface Spent {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  usd: number | null;
}

export interface LlmResult<T> {
  value: T;
  meta: LlmCallMeta;
}

export interface CallOptions {
  /** Aborted when the caller goes away; the loop then stops at once. */
  signal?: AbortSignal;
  /** Correlates log lines of one HTTP request. */
  requestId?: string;
  /** A per-request chain instead of the configured one; stickiness is kept per distinct chain. */
  chain?: readonly Route[];
  /**
   * Whose words the request carries: the caller's (`/v1`: a content-policy refusal is not sent on to other
   * vendors unless LLM_FALLBACK_ON_CONTENT_FILTER=true) or the service's own prompts (default: it falls over).
   */
  content?: 'caller' | 'own';
  /** A deadline shorter than LLM_REQUEST_TIMEOUT_MS, in milliseconds from the call (a pipeline's remaining time). */
  timeoutMs?: number;
}

export interface GenerateObjectParams<T extends object> extends CallOptions {
  /** The DTO class: validates the output and gives the JSON Schema for native structured output. */
  schema: ClassConstructor<T>;
  /** Name of the structured output (tool or schema name); letters, digits, _ and -. */
  schemaName: string;
  system: string;
  /**
   * What stays the same across many requests (a course and a learner), sent before `prompt` and marked as a cacheable
   * prefix with the system prompt.
   */
  context?: string;
  prompt: string;
  maxOutputTokens?: number;
  temperature?: number;
}

/** Limits on what a caller may spend in one request. */
export interface CallerLimits {
  maxRequestFallbacks: number;
  maxOutputTokens: number;
  maxInputTokens: number;
  /** Whether a caller may name this route (the configured chain, or LLM_ALLOWED_ROUTES). */
  allows(route: Route): boolean;
  /** Operator names for whole chains (LLM_MODEL_ALIASES): their routes are allowed as the operator set them. */
  aliases: Readonly<Record<string, readonly Route[]>>;
  /** The providers a route may name: the vendors and the named endpoints (LLM_ENDPOINTS). */
  providers: readonly ProviderName[];
}

/** Progress of a streamed object (`streamObject`). */
export interface StreamObjectHandlers {
  /** The stream committed to a route: its first content arrived. */
  onStart?(meta: Omit<LlmCallMeta, 'usage'>): void;
  /** The answer's text so far (partial JSON), after each delta. */
  onText?(text: string): void;
  /**
   * The streamed answer failed after its first content, or did not validate at its end; the chain then serves the
   * request without streaming, and whatever was shown from the stream is to be replaced.
   */
  onRestart?(reason: FailureKind): void;
}
