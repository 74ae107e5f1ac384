import { ApiError } from '@google/genai';
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
    case 'STOP':
    case 'FINISH_REASON_UNSPECIFIED':
    case 'OTHER':
    case null:
    case undefined:
      return undefined;
    default:
      return undefined;
  }
}

/**
 * An error thrown by @google/genai. Its `ApiError` carries only the status (no headers), so the strategy reads
 * `Retry-After` through its fetch wrapper and passes it in.
 */
export function mapGeminiError(error: unknown, retryAfterMs?: number): FailureDetails {
  if (error instanceof ApiError) {
    const kind = classifyHttpStatus(error.status);
    return kind === 'rate_limited'
      ? { kind, status: error.status, retryAfterMs }
      : { kind, status: error.status };
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return { kind: 'timeout' };
  }
  return { kind: 'network' };
}
