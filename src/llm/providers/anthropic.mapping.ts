import Anthropic from '@anthropic-ai/sdk';
import { FailureDetails, FailureKind } from '../llm.errors';
import { TokenUsage } from '../llm.types';
import { classifyHttpStatus, parseRetryAfter } from './http-failure';

/** Anthropic `stop_reason` to a failure kind; `undefined` means the answer is complete. */
export function mapAnthropicStopReason(reason: string | null | undefined): FailureKind | undefined {
  switch (reason) {
    case 'max_tokens':
      return 'truncated';
    case 'refusal':
      return 'content_blocked';
    case 'model_context_window_exceeded':
      return 'context_length';
    case 'end_turn':
    case 'stop_sequence':
    case 'tool_use':
    case null:
    case undefined:
      return undefined;
    default:
      // A reason this code does not know says nothing about whether the answer is whole: not a success.
      return 'invalid_output';
  }
}

/** The error body's `type` when the status alone is not enough (overload can arrive inside a stream). */
function kindFromErrorType(type: string | null | undefined): FailureKind | undefined {
  switch (type) {
    case 'overloaded_error':
      return 'overloaded';
    case 'rate_limit_error':
      return 'rate_limited';
    case 'api_error':
      return 'server_error';
    case 'authentication_error':
    case 'permission_error':
      return 'auth';
    case null:
    case undefined:
    default:
      return undefined;
  }
}

/**
 * Anthropic's usage as TokenUsage: its `input_tokens` leaves out what was read from or written to the prompt cache,
 * so the input is the sum of the three (as the other providers count it), with the cached parts named.
 */
export function anthropicUsage(usage: {
  input_tokens: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}): TokenUsage {
  const cachedInputTokens = usage.cache_read_input_tokens ?? 0;
  const cacheWriteTokens = usage.cache_creation_input_tokens ?? 0;
  return {
    inputTokens: usage.input_tokens + cachedInputTokens + cacheWriteTokens,
    outputTokens: usage.output_tokens ?? 0,
    cachedInputTokens,
    cacheWriteTokens,
  };
}

/** An error thrown by @anthropic-ai/sdk, classified by class, status and the body's error type. */
export function mapAnthropicError(error: unknown): FailureDetails {
  if (error instanceof Anthropic.APIConnectionTimeoutError) return { kind: 'timeout' };
  if (error instanceof Anthropic.APIUserAbortError) return { kind: 'timeout' };
  if (error instanceof Anthropic.APIConnectionError) return { kind: 'network' };
  if (error instanceof Anthropic.APIError) {
    const status = typeof error.status === 'number' ? error.status : undefined;
    const kind =
      (status === undefined ? undefined : classifyHttpStatus(status)) ??
      kindFromErrorType(error.type);
    if (kind === undefined) return { kind: 'server_error', status };
    return kind === 'rate_limited'
      ? { kind, status, retryAfterMs: parseRetryAfter(error.headers as Headers | undefined) }
      : { kind, status };
  }
  // The SDK's own refusal of the request before sending it (say, a max_tokens too large for a call that is not
  // streamed): the request's fault, not the route's.
  if (error instanceof Anthropic.AnthropicError) return { kind: 'bad_request' };
  return { kind: 'network' };
}
