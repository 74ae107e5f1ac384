import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import type { ThinkingLevel } from '../config/thinking';
import { ProviderError } from '../llm.errors';
import {
  ChatMessage,
  ToolChoice,
  LlmProvider,
  ProviderCallOptions,
  ProviderRequest,
  ProviderResponse,
  SamplingParameter,
  StreamEvent,
  TokenUsage,
} from '../llm.types';
import { anthropicUsage, mapAnthropicError, mapAnthropicStopReason } from './anthropic.mapping';
import { incompleteStream, settleFinish } from './finish';
import { KeyRing } from './key-ring';
import { KeyedClients } from './keyed-clients';
import { providerFetch } from './provider-fetch';
import { ProviderClientSettings, thinkingOf } from './provider-settings';
import type { ProviderDefinition } from './provider-settings';
import { anthropicQuota } from './rate-limit-headers';
import { argumentsObject, finishWithTools, ToolCallAssembler } from './tool-calls';

/** Anthropic needs max_tokens on every call; used when the caller sets none. */
const DEFAULT_MAX_TOKENS = 4096;
/** Messages has no JSON mode; a json_object request gets this instruction and is validated like any other. */
const JSON_OBJECT_INSTRUCTION = 'Respond with a single JSON object and nothing else.';

/** The thinking budget of `low` on Anthropic (thinking is off unless asked for). */
const LOW_THINKING_BUDGET = 1_024;

/** The conversation as Messages turns: tool calls as `tool_use` blocks, their results as `tool_result` blocks. */
function toAnthropicTurns(messages: ChatMessage[]): Anthropic.MessageParam[] {
  const turns: Anthropic.MessageParam[] = [];
  for (const message of messages) {
    if (message.role === 'system') continue;
    if (message.role === 'tool') {
      const result: Anthropic.ToolResultBlockParam = {
        type: 'tool_result',
        tool_use_id: message.toolCallId ?? '',
        content: message.content,
      };
      // Every result of one assistant turn's calls goes back in one user turn.
      const previous = turns[turns.length - 1];
      if (previous?.role === 'user' && Array.isArray(previous.content))
        previous.content.push(result);
      else turns.push({ role: 'user', content: [result] });
      continue;
    }
    if (message.role === 'assistant' && message.toolCalls?.length) {
      turns.push({
        role: 'assistant',
        content: [
          ...(message.content ? [{ type: 'text' as const, text: message.content }] : []),
          ...message.toolCalls.map((call) => ({
            type: 'tool_use' as const,
            id: call.id,
            name: call.name,
            input: argumentsObject(call),
          })),
        ],
      });
      continue;
    }
    // A cache breakpoint: the conversation up to here is cached (Anthropic caches only what is marked).
    turns.push(
      message.cacheBreakpoint && message.content
        ? {
            role: message.role,
            content: [{ type: 'text', text: message.content, cache_control: EPHEMERAL }],
          }
        : { role: message.role, content: message.content },
    );
  }
  return turns;
}

const EPHEMERAL = { type: 'ephemeral' as const };

/** The system prompt, as one block marked for the cache when a system message asks for a breakpoint. */
function toAnthropicSystem(
  messages: ChatMessage[],
  extra: string[],
): Anthropic.MessageCreateParams['system'] {
  const system = messages.filter((message) => message.role === 'system');
  const text = [...system.map((message) => message.content), ...extra].join('\n\n');
  if (text.length === 0) return undefined;
  if (!system.some((message) => message.cacheBreakpoint)) return text;
  return [{ type: 'text', text, cache_control: EPHEMERAL }];
}

function toAnthropicToolChoice(choice: ToolChoice | undefined): Anthropic.ToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (typeof choice === 'object') return { type: 'tool', name: choice.name };
  return {
    auto: { type: 'auto' as const },
    none: { type: 'none' as const },
    required: { type: 'any' as const },
  }[choice];
}

/**
 * LLM_AUTO_CACHE_MIN_TOKENS: a request that marks no cache breakpoint, whose system prompt and tools are at least
 * `minTokens` long (four characters a token), gets one after them: on the system prompt (Anthropic's prefix order is
 * tools, then system, so that caches both), else on the last tool. Answers whether the tools carry it.
 */
export function autoBreakpoint(
  request: ProviderRequest,
  minTokens: number | undefined,
): { request: ProviderRequest; onTools: boolean } {
  const unchanged = { request, onTools: false };
  if (minTokens === undefined || request.messages.some((message) => message.cacheBreakpoint))
    return unchanged;
  const system = request.messages.filter((message) => message.role === 'system');
  const characters =
    system.reduce((sum, message) => sum + (message.content?.length ?? 0), 0) +
    (request.tools ?? []).reduce((sum, tool) => sum + JSON.stringify(tool).length, 0);
  if (Math.ceil(characters / 4) < minTokens) return unchanged;
  if (system.length === 0) return { request, onTools: (request.tools?.length ?? 0) > 0 };
  const last = system[system.length - 1];
  return {
    request: {
      ...request,
      messages: request.messages.map((message) =>
        message === last ? { ...message, cacheBreakpoint: true } : message,
      ),
    },
    onTools: false,
  };
}

function toAnthropicParams(
  original: ProviderRequest,
  thinking: ThinkingLevel,
  autoCacheMinTokens?: number,
): MessageCreateParamsNonStreaming {
  const { request, onTools } = autoBreakpoint(original, autoCacheMinTokens);
  const extra = request.responseFormat.type === 'json_object' ? [JSON_OBJECT_INSTRUCTION] : [];
  const format = request.responseFormat;
  const callerTools = request.tools?.length ? request.tools : undefined;
  // Structured output is a forced tool, unless the caller brought tools of its own.
  const tool =
    format.type === 'json_schema' && !callerTools
      ? {
          name: format.name,
          description: 'Return the answer as this tool input.',
          input_schema: format.schema as Anthropic.Tool.InputSchema,
        }
      : undefined;
  // Thinking stays off unless a route asks for `low`; a forced tool (structured output) cannot think at all.
  const think = thinking === 'low' && !tool && !callerTools;
  const maxTokens = request.maxOutputTokens ?? DEFAULT_MAX_TOKENS;
  const toolChoice = toAnthropicToolChoice(request.toolChoice);
  return {
    model: request.model,
    max_tokens: think ? maxTokens + LOW_THINKING_BUDGET : maxTokens,
    ...(think
      ? { thinking: { type: 'enabled' as const, budget_tokens: LOW_THINKING_BUDGET } }
      : {}),
    system: toAnthropicSystem(request.messages, extra),
    messages: toAnthropicTurns(request.messages),
    stop_sequences: request.stop,
    ...(tool ? { tools: [tool], tool_choice: { type: 'tool' as const, name: tool.name } } : {}),
    ...(callerTools
      ? {
          tools: callerTools.map((definition, index) => ({
            name: definition.name,
            ...(definition.description ? { description: definition.description } : {}),
            input_schema: definition.parameters as Anthropic.Tool.InputSchema,
            ...(onTools && index === callerTools.length - 1 ? { cache_control: EPHEMERAL } : {}),
          })),
          ...(toolChoice ? { tool_choice: toolChoice } : {}),
        }
      : {}),
  };
}

/**
 * Anthropic Messages; structured output through a forced tool whose input schema is the JSON Schema.
 * SDK 1.14 types no sampling parameters but stop sequences on Messages, so only those are sent.
 */
export class AnthropicProvider implements LlmProvider {
  readonly name = 'anthropic' as const;
  readonly telemetryName = 'anthropic';
  readonly configured: boolean;
  readonly supports: ReadonlySet<SamplingParameter> = new Set<SamplingParameter>(['stop']);
  private readonly clients: KeyedClients<Anthropic>;

  constructor(private readonly settings: ProviderClientSettings) {
    this.clients = new KeyedClients(
      settings.keys,
      (apiKey, fetch) =>
        new Anthropic({
          apiKey,
          baseURL: settings.baseUrl,
          maxRetries: 0,
          timeout: settings.attemptTimeoutMs,
          fetch,
        }),
      () => providerFetch(() => settings.malformedEvents?.add(this.name)),
      (headers) => anthropicQuota(headers),
    );
    this.configured = this.clients.configured;
  }

  get keys(): KeyRing {
    return this.clients.ring;
  }

  /** Older Claude models extend a final assistant turn; Sonnet and Opus 4.6 and later reject it with a 400. */
  acceptsPrefill(model: string): boolean {
    const version = /claude-(?:opus|sonnet)-(\d+)-(\d+)/.exec(model);
    return version === null || Number(version[1]) * 100 + Number(version[2]) < 406;
  }

  async generate(
    request: ProviderRequest,
    options: ProviderCallOptions,
  ): Promise<ProviderResponse> {
    const route = { provider: this.name, model: request.model };
    const { key, client } = this.clients.take(route, request);
    let message: Anthropic.Message;
    try {
      message = await client.messages.create(
        toAnthropicParams(
          request,
          thinkingOf(this.settings, this.name, request),
          this.settings.autoCacheMinTokens,
        ),
        {
          signal: options.signal,
          timeout: options.timeoutMs,
          maxRetries: 0,
        },
      );
    } catch (error) {
      throw this.clients.failed(
        key,
        new ProviderError(route, mapAnthropicError(error), { cause: error }),
      );
    }
    const finish = settleFinish(
      route,
      mapAnthropicStopReason(message.stop_reason),
      request.allowTruncation,
      `stop_reason ${message.stop_reason}`,
    );
    const usage = anthropicUsage(message.usage);
    const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    if (request.tools?.length) {
      const toolCalls = message.content.flatMap((block) =>
        block.type === 'tool_use'
          ? [{ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) }]
          : [],
      );
      return {
        text,
        finish: finishWithTools(finish, toolCalls),
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
        usage,
        key,
      };
    }
    // Structured output: the forced tool's input is the answer.
    const toolUse = message.content.find((block) => block.type === 'tool_use');
    return { text: toolUse ? JSON.stringify(toolUse.input) : text, finish, usage, key };
  }

  async *stream(
    request: ProviderRequest,
    options: ProviderCallOptions,
  ): AsyncIterable<StreamEvent> {
    const route = { provider: this.name, model: request.model };
    const { key, client } = this.clients.take(route, request);
    let stopReason: string | null = null;
    let ended = false;
    let usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
    // With the caller's tools, tool_use blocks are calls to join; without, the one forced tool is the answer.
    const callerTools = (request.tools?.length ?? 0) > 0;
    const tools = new ToolCallAssembler();
    try {
      const stream = await client.messages.create(
        {
          ...toAnthropicParams(
            request,
            thinkingOf(this.settings, this.name, request),
            this.settings.autoCacheMinTokens,
          ),
          stream: true,
        },
        { signal: options.signal, timeout: options.timeoutMs, maxRetries: 0 },
      );
      for await (const event of stream) {
        switch (event.type) {
          case 'message_start':
            usage = anthropicUsage({ ...event.message.usage, output_tokens: 0 });
            break;
          case 'content_block_delta':
            if (event.delta.type === 'text_delta') yield { type: 'text', text: event.delta.text };
            if (event.delta.type === 'input_json_delta') {
              if (callerTools) tools.add(event.index, { arguments: event.delta.partial_json });
              else yield { type: 'text', text: event.delta.partial_json };
            }
            break;
          case 'message_delta':
            stopReason = event.delta.stop_reason ?? stopReason;
            usage.outputTokens = event.usage.output_tokens;
            break;
          case 'message_stop':
            ended = true;
            break;
          case 'content_block_start':
            if (callerTools && event.content_block.type === 'tool_use')
              tools.add(event.index, {
                id: event.content_block.id,
                name: event.content_block.name,
              });
            break;
          case 'content_block_stop':
            break;
        }
      }
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw this.clients.failed(
        key,
        new ProviderError(route, mapAnthropicError(error), { cause: error }),
      );
    }
    if (!ended) throw incompleteStream(route);
    const finish = settleFinish(
      route,
      mapAnthropicStopReason(stopReason),
      request.allowTruncation,
      `stop_reason ${stopReason}`,
    );
    const toolCalls = tools.done();
    for (const call of toolCalls) yield { type: 'tool_call', call };
    yield { type: 'end', finish: finishWithTools(finish, toolCalls), usage };
  }
}

export const ANTHROPIC: ProviderDefinition = {
  name: 'anthropic',
  environmentPrefix: 'ANTHROPIC',
  pricingId: 'anthropic',
  create: (settings) => new AnthropicProvider(settings),
};
