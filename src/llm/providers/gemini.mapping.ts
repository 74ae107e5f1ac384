import { ApiError, ThinkingConfig, ThinkingLevel as GeminiThinkingLevel } from '@google/genai';
import type { ThinkingLevel } from '../config/thinking';
import { FailureDetails, FailureKind } from '../llm.errors';
import { classifyHttpStatus } from './http-failure';

/** Gemini `finishReason` to a failure kind; `undefined` means the answer is complete. */
export function mapGeminiFinishReason(reason: string | null | undefined): FailureKind | undefined {
  switch (reason) {
    // CONTINUATION: automatic continuation is off, so the rest of the answer was never sent.
    case 'MAX_TOKENS':
    case 'CONTINUATION':
      return 'truncated';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'LANGUAGE':
      return 'content_blocked';
    case 'MALFORMED_FUNCTION_CALL':
    case 'UNEXPECTED_TOOL_CALL':
      return 'invalid_output';
    // OTHER: the model stopped for a reason it does not name; the answer cannot be trusted to be whole.
    case 'OTHER':
      return 'invalid_output';
    case 'STOP':
    case 'FINISH_REASON_UNSPECIFIED':
    case null:
    case undefined:
      return undefined;
    default:
      // A reason this code does not know says nothing about whether the answer is whole: not a success.
      return 'invalid_output';
  }
}

/**
 * An error thrown by @google/genai. Its `ApiError` carries only the status (no headers, no details), so the strategy
 * reads Retry-After and the key-rejection detail through its fetch wrapper and passes them in.
 */
export function mapGeminiError(
  error: unknown,
  notes: { retryAfterMs?: number; keyRejected?: boolean } = {},
): FailureDetails {
  if (error instanceof ApiError) {
    if (error.status === 400 && notes.keyRejected) return { kind: 'auth', status: error.status };
    const kind = classifyHttpStatus(error.status);
    return kind === 'rate_limited'
      ? { kind, status: error.status, retryAfterMs: notes.retryAfterMs }
      : { kind, status: error.status };
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return { kind: 'timeout' };
  }
  return { kind: 'network' };
}

/** Gemini's thinking controls for a level, and the output headroom that keeps thoughts from starving the answer. */
export function geminiThinking(
  model: string,
  level: ThinkingLevel,
): { thinkingConfig?: ThinkingConfig; headroom: number } {
  const generation = /gemini-(2\.5|3)/.exec(model)?.[1];
  if (!generation) return { headroom: 0 }; // no thinking model: nothing to control
  const pro = model.includes('-pro');
  if (generation === '3') {
    switch (level) {
      // 3 Pro cannot go below LOW.
      case 'off':
        return {
          thinkingConfig: {
            thinkingLevel: pro ? GeminiThinkingLevel.LOW : GeminiThinkingLevel.MINIMAL,
          },
          headroom: pro ? 2_048 : 512,
        };
      case 'low':
        return { thinkingConfig: { thinkingLevel: GeminiThinkingLevel.LOW }, headroom: 2_048 };
      case 'default':
        return { headroom: 8_192 };
    }
  }
  switch (level) {
    // 2.5 Pro cannot turn thinking off; its smallest budget is 128.
    case 'off':
      return { thinkingConfig: { thinkingBudget: pro ? 128 : 0 }, headroom: pro ? 128 : 0 };
    case 'low':
      return { thinkingConfig: { thinkingBudget: 1_024 }, headroom: 1_024 };
    case 'default':
      return { headroom: 8_192 };
  }
}
