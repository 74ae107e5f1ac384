import { ChatMessage } from '../llm.types';

/** A rough token count for text (about four characters a token): for limits checked before any call. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * A request's input, estimated before any call: the messages' text plus a few tokens of framing each. What the
 * input limit checks, and what a failed attempt is charged (providers bill prompts they read).
 */
export function estimateInputTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((total, message) => total + 4 + estimateTokens(message.content), 0);
}
