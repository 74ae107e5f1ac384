import Anthropic from '@anthropic-ai/sdk';
import { ProviderError } from '../llm.errors';
import {
  ChatMessage,
  LlmProvider,
  ProviderCallOptions,
  ProviderRequest,
  ProviderResponse,
} from '../llm.types';
import { mapAnthropicError, mapAnthropicStopReason } from './anthropic.mapping';
import { ProviderClientSettings } from './provider-settings';
import { realmSafeFetch } from './realm-safe-fetch';

/** Anthropic needs max_tokens on every call; used when the caller sets none. */
const DEFAULT_MAX_TOKENS = 4096;

function splitSystem(messages: ChatMessage[]): {
  system: string | undefined;
  turns: Anthropic.MessageParam[];
} {
  const system = messages
    .filter((message) => message.role === 'system')
    .map((message) => message.content);
  const turns = messages
    .filter((message) => message.role !== 'system')
    .map((message) => ({ role: message.role as 'user' | 'assistant', content: message.content }));
  return { system: system.length > 0 ? system.join('\n\n') : undefined, turns };
}

/**
 * Anthropic Messages; structured output through a forced tool whose input schema is the JSON Schema.
 * SDK 1.14 no longer types `temperature` on Messages, so it is not sent.
 */
export class AnthropicProvider implements LlmProvider {
  readonly name = 'anthropic' as const;
  readonly configured: boolean;
  private readonly client: Anthropic | undefined;

  constructor(settings: ProviderClientSettings) {
    this.configured = settings.apiKey !== undefined;
    this.client = settings.apiKey
      ? new Anthropic({
          apiKey: settings.apiKey,
          baseURL: settings.baseUrl,
          maxRetries: 0,
          timeout: settings.attemptTimeoutMs,
          fetch: realmSafeFetch(),
        })
      : undefined;
  }

  async generate(
    request: ProviderRequest,
    options: ProviderCallOptions,
  ): Promise<ProviderResponse> {
    const route = { provider: this.name, model: request.model };
    if (!this.client)
      throw new ProviderError(route, { kind: 'auth' }, { detail: 'no API key configured' });
    const { system, turns } = splitSystem(request.messages);
    const format = request.responseFormat;
    const tool =
      format.type === 'json_schema'
        ? {
            name: format.name,
            description: 'Return the answer as this tool input.',
            input_schema: format.schema as Anthropic.Tool.InputSchema,
          }
        : undefined;
    let message: Anthropic.Message;
    try {
      message = await this.client.messages.create(
        {
          model: request.model,
          max_tokens: request.maxOutputTokens ?? DEFAULT_MAX_TOKENS,
          system,
          messages: turns,
          ...(tool
            ? { tools: [tool], tool_choice: { type: 'tool' as const, name: tool.name } }
            : {}),
        },
        { signal: options.signal, timeout: options.timeoutMs, maxRetries: 0 },
      );
    } catch (error) {
      throw new ProviderError(route, mapAnthropicError(error), { cause: error });
    }
    const stopFailure = mapAnthropicStopReason(message.stop_reason);
    if (stopFailure) {
      throw new ProviderError(
        route,
        { kind: stopFailure },
        { detail: `stop_reason ${message.stop_reason}` },
      );
    }
    const toolUse = message.content.find((block) => block.type === 'tool_use');
    const text = toolUse
      ? JSON.stringify(toolUse.input)
      : message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    return {
      text,
      usage: { inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens },
    };
  }
}
