import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { ThinkingLevel } from '../config/thinking';
import { ProviderError } from '../llm.errors';
import {
  ChatMessage,
  LlmProvider,
  ProviderCallOptions,
  ProviderRequest,
  ProviderResponse,
  ResponseFormat,
  SamplingParameter,
  StreamEvent,
  TokenUsage,
} from '../llm.types';
import type { EndpointCapability } from './endpoint-settings';
import { incompleteStream, settleFinish } from './finish';
import { KeyRing } from './key-ring';
import { KeyedClients } from './keyed-clients';
import {
  mapOpenAiError,
  mapOpenAiFinishReason,
  openAiReasoning,
  openAiStrictSchemaOf,
} from './openai.mapping';
import { providerFetch } from './provider-fetch';
import { ProviderClientSettings, thinkingOf, withHeadroom } from './provider-settings';
import type { ProviderDefinition } from './provider-settings';
import { openAiQuota } from './rate-limit-headers';
import { finishWithTools, ToolCallAssembler } from './tool-calls';

/** OpenAI itself: every capability. */
const OPENAI_CAPABILITIES: ReadonlySet<EndpointCapability> = new Set([
  'json_schema',
  'json_object',
  'tools',
]);

/**
 * The request as an endpoint that lacks native JSON Schema output takes it: JSON mode where it has it, and the
 * schema as an instruction (the answer is validated against it like any other); unchanged where it has it.
 */
function withinCapabilities(
  request: ProviderRequest,
  capabilities: ReadonlySet<EndpointCapability>,
): ProviderRequest {
  const format = request.responseFormat;
  if (format.type === 'text' || capabilities.has(format.type)) return request;
  const instruction =
    format.type === 'json_schema'
      ? `Respond with a single JSON object and nothing else, valid against this JSON Schema: ${JSON.stringify(format.schema)}`
      : 'Respond with a single JSON object and nothing else.';
  return {
    ...request,
    messages: [{ role: 'system', content: instruction }, ...request.messages],
    responseFormat: capabilities.has('json_object') ? { type: 'json_object' } : { type: 'text' },
  };
}

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
          schema: openAiStrictSchemaOf(format.schema),
          strict: true,
        },
      };
  }
}

function toOpenAiMessages(messages: ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map((message): ChatCompletionMessageParam => {
    switch (message.role) {
      case 'tool':
        return { role: 'tool', tool_call_id: message.toolCallId ?? '', content: message.content };
      case 'assistant':
        return message.toolCalls?.length
          ? {
              role: 'assistant',
              content: message.content || null,
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: 'function',
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : { role: 'assistant', content: message.content };
      case 'system':
      case 'user':
        return { role: message.role, content: message.content };
    }
  });
}

function toOpenAiTools(
  request: ProviderRequest,
): Pick<ChatCompletionCreateParamsNonStreaming, 'tools' | 'tool_choice'> {
  if (!request.tools?.length) return {};
  const choice = request.toolChoice;
  return {
    tools: request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description ? { description: tool.description } : {}),
        parameters: tool.parameters,
      },
    })),
    ...(choice === undefined
      ? {}
      : {
          tool_choice:
            typeof choice === 'string'
              ? choice
              : { type: 'function', function: { name: choice.name } },
        }),
  };
}

/**
 * OpenAI's `prompt_cache_key` for a request whose conversation marks a stable prefix (a cache breakpoint): a hash of
 * that prefix, so requests sharing it (one learner's lessons) are routed to the same cache. None without a mark.
 */
export function promptCacheKey(messages: ChatMessage[]): string | undefined {
  const last = messages.findLastIndex((message) => message.cacheBreakpoint);
  if (last < 0) return undefined;
  const prefix = messages.slice(0, last + 1).map(({ role, content }) => [role, content]);
  return createHash('sha256').update(JSON.stringify(prefix)).digest('hex').slice(0, 32);
}

function toOpenAiParams(
  request: ProviderRequest,
  thinking: ThinkingLevel,
): ChatCompletionCreateParamsNonStreaming {
  const reasoning = openAiReasoning(request.model, thinking);
  const cacheKey = request.cacheKey ?? promptCacheKey(request.messages);
  return {
    model: request.model,
    messages: toOpenAiMessages(request.messages),
    ...(cacheKey ? { prompt_cache_key: cacheKey } : {}),
    ...toOpenAiTools(request),
    response_format: toOpenAiResponseFormat(request.responseFormat),
    max_completion_tokens: withHeadroom(request.maxOutputTokens, reasoning.headroom),
    ...(reasoning.effort ? { reasoning_effort: reasoning.effort } : {}),
    temperature: request.temperature,
    top_p: request.topP,
    stop: request.stop,
    seed: request.seed,
    presence_penalty: request.presencePenalty,
    frequency_penalty: request.frequencyPenalty,
  };
}

/** Who an OpenAI-protocol strategy is: OpenAI itself, or a named endpoint with what it declares it supports. */
export interface OpenAiIdentity {
  name: string;
  telemetryName: string;
  capabilities: ReadonlySet<EndpointCapability>;
}

/** OpenAI Chat Completions: OpenAI itself, and each named OpenAI-compatible endpoint (LLM_ENDPOINTS). */
export class OpenAiProvider implements LlmProvider {
  readonly name: string;
  readonly telemetryName: string;
  readonly configured: boolean;
  readonly supports: ReadonlySet<SamplingParameter> = new Set<SamplingParameter>([
    'temperature',
    'topP',
    'stop',
    'seed',
    'presencePenalty',
    'frequencyPenalty',
  ]);
  private readonly clients: KeyedClients<OpenAI>;
  private readonly capabilities: ReadonlySet<EndpointCapability>;

  constructor(
    private readonly settings: ProviderClientSettings,
    identity: OpenAiIdentity = {
      name: 'openai',
      telemetryName: 'openai',
      capabilities: OPENAI_CAPABILITIES,
    },
  ) {
    this.name = identity.name;
    this.telemetryName = identity.telemetryName;
    this.capabilities = identity.capabilities;
    this.clients = new KeyedClients(
      settings.keys,
      (apiKey, fetch) =>
        new OpenAI({
          apiKey,
          baseURL: settings.baseUrl,
          maxRetries: 0,
          timeout: settings.attemptTimeoutMs,
          fetch,
        }),
      () => providerFetch(() => settings.malformedEvents?.add(this.name)),
      openAiQuota,
    );
    this.configured = this.clients.configured;
  }

  get keys(): KeyRing {
    return this.clients.ring;
  }

  /**
   * OpenAI's Chat Completions has no assistant prefill: a continuation is asked for by instruction. An endpoint that
   * declares `prefill` (llama.cpp, Ollama, vLLM set up for it) continues a final assistant turn.
   */
  acceptsPrefill(): boolean {
    return this.capabilities.has('prefill');
  }

  /** The request this endpoint can take: a tool call where it has no tools is the request's problem, not the route's. */
  private prepared(request: ProviderRequest): ChatCompletionCreateParamsNonStreaming {
    if (request.tools?.length && !this.capabilities.has('tools'))
      throw new ProviderError(
        { provider: this.name, model: request.model },
        { kind: 'bad_request' },
        { detail: 'the endpoint declares no function calling' },
      );
    const fitted = withinCapabilities(request, this.capabilities);
    return toOpenAiParams(fitted, thinkingOf(this.settings, this.name, fitted));
  }

  async generate(
    request: ProviderRequest,
    options: ProviderCallOptions,
  ): Promise<ProviderResponse> {
    const route = { provider: this.name, model: request.model };
    const params = this.prepared(request);
    const { key, client } = this.clients.take(route, request);
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await client.chat.completions.create(params, {
        signal: options.signal,
        timeout: options.timeoutMs,
        maxRetries: 0,
      });
    } catch (error) {
      throw this.clients.failed(
        key,
        new ProviderError(route, mapOpenAiError(error), { cause: error }),
      );
    }
    const choice = completion.choices[0];
    if (!choice)
      throw new ProviderError(route, { kind: 'invalid_output' }, { detail: 'no choices' });
    if (choice.message.refusal)
      throw new ProviderError(route, { kind: 'content_blocked' }, { detail: 'refusal' });
    const finish = settleFinish(
      route,
      mapOpenAiFinishReason(choice.finish_reason),
      request.allowTruncation,
      `finish_reason ${choice.finish_reason}`,
    );
    const toolCalls = (choice.message.tool_calls ?? []).flatMap((call) =>
      call.type === 'function'
        ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }]
        : [],
    );
    return {
      text: choice.message.content ?? '',
      finish: finishWithTools(finish, toolCalls),
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      key,
      usage: {
        inputTokens: completion.usage?.prompt_tokens ?? 0,
        outputTokens: completion.usage?.completion_tokens ?? 0,
        cachedInputTokens: completion.usage?.prompt_tokens_details?.cached_tokens ?? 0,
      },
    };
  }

  async *stream(
    request: ProviderRequest,
    options: ProviderCallOptions,
  ): AsyncIterable<StreamEvent> {
    const route = { provider: this.name, model: request.model };
    const params = this.prepared(request);
    const { key, client } = this.clients.take(route, request);
    let finishReason: string | null = null;
    const usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
    const tools = new ToolCallAssembler();
    try {
      const stream = await client.chat.completions.create(
        {
          ...params,
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: options.signal, timeout: options.timeoutMs, maxRetries: 0 },
      );
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        if (choice?.delta?.refusal)
          throw new ProviderError(route, { kind: 'content_blocked' }, { detail: 'refusal' });
        if (choice?.delta?.content) yield { type: 'text', text: choice.delta.content };
        for (const piece of choice?.delta?.tool_calls ?? [])
          tools.add(piece.index, {
            id: piece.id,
            name: piece.function?.name,
            arguments: piece.function?.arguments,
          });
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (chunk.usage) {
          usage.inputTokens = chunk.usage.prompt_tokens;
          usage.outputTokens = chunk.usage.completion_tokens;
          usage.cachedInputTokens = chunk.usage.prompt_tokens_details?.cached_tokens ?? 0;
        }
      }
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw this.clients.failed(
        key,
        new ProviderError(route, mapOpenAiError(error), { cause: error }),
      );
    }
    if (finishReason === null) throw incompleteStream(route);
    const finish = settleFinish(
      route,
      mapOpenAiFinishReason(finishReason),
      request.allowTruncation,
      `finish_reason ${finishReason}`,
    );
    const toolCalls = tools.done();
    for (const call of toolCalls) yield { type: 'tool_call', call };
    yield { type: 'end', finish: finishWithTools(finish, toolCalls), usage };
  }
}

export const OPENAI: ProviderDefinition = {
  name: 'openai',
  environmentPrefix: 'OPENAI',
  pricingId: 'openai',
  create: (settings) => new OpenAiProvider(settings),
};
