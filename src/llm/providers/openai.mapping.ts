import OpenAI from 'openai';
import type { ThinkingLevel } from '../config/thinking';
import { FailureDetails, FailureKind } from '../llm.errors';
import { classifyHttpStatus, parseRetryAfter } from './http-failure';

/** OpenAI `finish_reason` to a failure kind; `undefined` means the answer is complete. */
export function mapOpenAiFinishReason(reason: string | null | undefined): FailureKind | undefined {
  switch (reason) {
    case 'length':
      return 'truncated';
    case 'content_filter':
      return 'content_blocked';
    case 'stop':
    case 'tool_calls':
    case 'function_call':
    case null:
    case undefined:
      return undefined;
    default:
      // A reason this code does not know says nothing about whether the answer is whole: not a success.
      return 'invalid_output';
  }
}

/** An error thrown by the openai SDK, classified by class, status and the body's structured `code`. */
export function mapOpenAiError(error: unknown): FailureDetails {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return { kind: 'timeout' };
  if (error instanceof OpenAI.APIUserAbortError) return { kind: 'timeout' };
  if (error instanceof OpenAI.APIConnectionError) return { kind: 'network' };
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
    const status = error.status;
    if (error.code === 'context_length_exceeded') return { kind: 'context_length', status };
    // OpenAI's refusal of the content (Azure OpenAI says `content_filter`).
    if (error.code === 'content_policy_violation' || error.code === 'content_filter')
      return { kind: 'content_blocked', status, reason: error.code };
    const kind = classifyHttpStatus(status);
    return kind === 'rate_limited'
      ? { kind, status, retryAfterMs: parseRetryAfter(error.headers as Headers | undefined) }
      : { kind, status };
  }
  // The SDK's own refusal of the request before sending it: the request's fault, not the route's.
  if (error instanceof OpenAI.OpenAIError) return { kind: 'bad_request' };
  return { kind: 'network' };
}

/** Keywords OpenAI's strict structured output rejects; our DTO validation still enforces them afterwards. */
const UNSUPPORTED_STRICT_KEYWORDS = new Set(['minLength', 'maxLength']);

const strictSchemas = new WeakMap<object, Record<string, unknown>>();

/**
 * `toOpenAiStrictSchema` once per schema object: the DTO schemas (`jsonSchemaFor`) are built once and passed on every
 * call, so converting them per call was repeated work. Schemas are never mutated after they are built.
 */
export function openAiStrictSchemaOf(schema: Record<string, unknown>): Record<string, unknown> {
  let strict = strictSchemas.get(schema);
  if (!strict) {
    strict = toOpenAiStrictSchema(schema) as Record<string, unknown>;
    strictSchemas.set(schema, strict);
  }
  return strict;
}

/** The JSON Schema as OpenAI strict mode accepts it. */
export function toOpenAiStrictSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toOpenAiStrictSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => !UNSUPPORTED_STRICT_KEYWORDS.has(key))
      .map(([key, value]) => [
        key,
        key === 'enum' || key === 'required' ? value : toOpenAiStrictSchema(value),
      ]),
  );
}

/**
 * `reasoning_effort` for a reasoning model (o-series, gpt-5) at a thinking level, and the headroom added to
 * `max_completion_tokens`, which counts reasoning tokens too. Other models take neither.
 */
export function openAiReasoning(
  model: string,
  level: ThinkingLevel,
): { effort?: 'minimal' | 'low'; headroom: number } {
  const family = /^(?:[\w-]+\/)?(o\d|gpt-5)/.exec(model)?.[1];
  if (!family) return { headroom: 0 };
  switch (level) {
    case 'off':
      return { effort: family === 'gpt-5' ? 'minimal' : 'low', headroom: 1_024 };
    case 'low':
      return { effort: 'low', headroom: 2_048 };
    case 'default':
      return { headroom: 8_192 };
  }
}
