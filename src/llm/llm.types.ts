import { FailureKind } from './llm.errors';
import { ProviderName } from './routes';

export type JsonSchema = Record<string, unknown>;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
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
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ProviderResponse {
  /** The model's answer as text; for json_schema requests, the JSON document. */
  text: string;
  usage: TokenUsage;
}

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
  /** False when no API key is configured; its routes are skipped. */
  readonly configured: boolean;
  generate(request: ProviderRequest, options: ProviderCallOptions): Promise<ProviderResponse>;
}

export type AttemptOutcome = 'success' | FailureKind;

export interface AttemptRecord {
  provider: ProviderName;
  model: string;
  outcome: AttemptOutcome;
  status?: number;
  durationMs: number;
}

/** What every LLM result carries, so callers and responses can say which route answered and how. */
export interface LlmCallMeta {
  provider: ProviderName;
  model: string;
  fallbackUsed: boolean;
  attempts: AttemptRecord[];
  usage: TokenUsage;
  durationMs: number;
}

export interface LlmResult<T> {
  value: T;
  meta: LlmCallMeta;
}
