import { ProviderRequest } from '../llm.types';

/** A rough token count for text (about four characters a token): for limits checked before any call. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * A request's input, estimated before any call: everything the provider reads, not only the messages: each
 * message's text (and the tool calls an assistant turn carries) with a few tokens of framing, every tool's name,
 * description and parameter schema, and the response schema. What the input limit checks, what a failed attempt
 * is charged (providers bill prompts they read), and what a reservation holds.
 */
export function estimateInputTokens(
  request: Pick<ProviderRequest, 'messages' | 'tools' | 'responseFormat'>,
): number {
  let characters = 0;
  let framing = 0;
  for (const message of request.messages) {
    framing += 4;
    characters += message.content.length;
    for (const call of message.toolCalls ?? [])
      characters += call.name.length + call.arguments.length;
  }
  for (const tool of request.tools ?? []) {
    framing += 8;
    characters +=
      tool.name.length + (tool.description?.length ?? 0) + JSON.stringify(tool.parameters).length;
  }
  if (request.responseFormat.type === 'json_schema')
    characters +=
      request.responseFormat.name.length + JSON.stringify(request.responseFormat.schema).length;
  return framing + Math.ceil(characters / 4);
}
