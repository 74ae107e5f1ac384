import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { ProviderError } from '../llm.errors';
import {
  LlmProvider,
  ProviderCallOptions,
  ProviderRequest,
  ProviderResponse,
  ResponseFormat,
} from '../llm.types';
import { mapOpenAiError, mapOpenAiFinishReason, toOpenAiStrictSchema } from './openai.mapping';
import { ProviderClientSettings } from './provider-settings';
import { realmSafeFetch } from './realm-safe-fetch';

function toOpenAiResponseFormat(
  format: ResponseFormat,
): ChatCompletionCreateParamsNonStreaming['response_format'] {
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema':
      return {
        type: 'json_schema',
        json_schema: {
          name: format.name,
          schema: toOpenAiStrictSchema(format.schema) as Record<string, unknown>,
          strict: true,
        },
      };
  }
}

/** OpenAI Chat Completions, so any OpenAI-compatible server works through OPENAI_BASE_URL. */
export class OpenAiProvider implements LlmProvider {
  readonly name = 'openai' as const;
  readonly configured: boolean;
  private readonly client: OpenAI | undefined;

  constructor(settings: ProviderClientSettings) {
    this.configured = settings.apiKey !== undefined;
    this.client = settings.apiKey
      ? new OpenAI({
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
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await this.client.chat.completions.create(
        {
          model: request.model,
          messages: request.messages,
          response_format: toOpenAiResponseFormat(request.responseFormat),
          max_completion_tokens: request.maxOutputTokens,
          temperature: request.temperature,
        },
        { signal: options.signal, timeout: options.timeoutMs, maxRetries: 0 },
      );
    } catch (error) {
      throw new ProviderError(route, mapOpenAiError(error), { cause: error });
    }
    const choice = completion.choices[0];
    if (!choice)
      throw new ProviderError(route, { kind: 'invalid_output' }, { detail: 'no choices' });
    if (choice.message.refusal)
      throw new ProviderError(route, { kind: 'content_blocked' }, { detail: 'refusal' });
    const finishFailure = mapOpenAiFinishReason(choice.finish_reason);
    if (finishFailure) {
      throw new ProviderError(
        route,
        { kind: finishFailure },
        { detail: `finish_reason ${choice.finish_reason}` },
      );
    }
    return {
      text: choice.message.content ?? '',
      usage: {
        inputTokens: completion.usage?.prompt_tokens ?? 0,
        outputTokens: completion.usage?.completion_tokens ?? 0,
      },
    };
  }
}
