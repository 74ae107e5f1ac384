import { ChatMessage, FinishReason, ToolCall } from '../llm.types';

/**
 * Tool calls streamed in pieces (OpenAI by index, Anthropic by content block), joined into whole calls: the
 * service emits each call once, complete, when the stream ends.
 */
export class ToolCallAssembler {
  private readonly calls = new Map<number, ToolCall>();

  add(index: number, piece: { id?: string; name?: string; arguments?: string }): void {
    const call = this.calls.get(index) ?? { id: '', name: '', arguments: '' };
    if (piece.id) call.id = piece.id;
    if (piece.name) call.name += piece.name;
    if (piece.arguments) call.arguments += piece.arguments;
    this.calls.set(index, call);
  }

  /** The whole calls, in order; arguments default to `{}` (a call without arguments). */
  done(): ToolCall[] {
    return [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, call]) => ({ ...call, arguments: call.arguments || '{}' }));
  }
}

/** A finish with tool calls is `tool_calls`, whatever the provider's own reason said. */
export function finishWithTools(finish: FinishReason, toolCalls: ToolCall[]): FinishReason {
  return toolCalls.length > 0 ? 'tool_calls' : finish;
}

/** The arguments of a call as an object (providers that take objects, not JSON text); `{}` when unparsable. */
export function argumentsObject(call: ToolCall): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(call.arguments || '{}');
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** The name of the function a `tool` message answers, from the assistant turn that made the call. */
export function toolNameOf(messages: ChatMessage[], toolCallId: string | undefined): string {
  for (const message of messages)
    for (const call of message.toolCalls ?? []) if (call.id === toolCallId) return call.name;
  return 'tool';
}
