import { createHash } from 'node:crypto';
import {
  AttemptRecord,
  ChatMessage,
  ProviderRequest,
  ResponseFormat,
  SamplingParameter,
  buildChain,
  CallerLimits,
  ThinkingLevel,
  estimateInputTokens,
  Route,
  routeId,
  ToolCall,
  TokenUsage,
  ProviderError,
  RequestAbortedError,
  AllRoutesFailedError,
} from '../llm';
import { ChatCompletionRequestDto, ChatMessageDto } from './dto/chat-completion-request.dto';
import { routesForName } from './model-names';
import { OpenAiRequestError } from './openai-request-error';

export { OpenAiRequestError } from './openai-request-error';

function textOf(content: ChatMessageDto['content']): string {
  if (content === null) return '';
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

/** A tool call in OpenAI's wire shape. */
export interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export function toOpenAiToolCall(call: ToolCall): OpenAiToolCall {
  return {
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  };
}

export function toMessages(messages: ChatMessageDto[]): ChatMessage[] {
  return messages.map((message): ChatMessage => {
    const translated = toMessage(message);
    // Anthropic's `cache_control` on a content part (LiteLLM passes it through too): a cache breakpoint after it.
    return cacheMarked(message.content) ? { ...translated, cacheBreakpoint: true } : translated;
  });
}

function cacheMarked(content: ChatMessageDto['content']): boolean {
  return (
    Array.isArray(content) &&
    content.some((part) => typeof (part as { cache_control?: unknown }).cache_control === 'object')
  );
}

function toMessage(message: ChatMessageDto): ChatMessage {
  const content = textOf(message.content);
  switch (message.role) {
    case 'tool':
      return { role: 'tool', content, toolCallId: message.tool_call_id };
    case 'assistant':
      return message.tool_calls?.length
        ? {
            role: 'assistant',
            content,
            toolCalls: message.tool_calls.map((call) => ({
              id: call.id,
              name: call.function.name,
              arguments: call.function.arguments,
            })),
          }
        : { role: 'assistant', content };
    case 'developer':
      return { role: 'system', content };
    case 'system':
    case 'user':
      return { role: message.role, content };
  }
}

/** `tools` and `tool_choice` as the LLM layer takes them; a named choice must name one of the tools. */
function toTools(dto: ChatCompletionRequestDto): Pick<ProviderRequest, 'tools' | 'toolChoice'> {
  if (!dto.tools?.length) {
    if (dto.tool_choice !== undefined && dto.tool_choice !== 'none' && dto.tool_choice !== 'auto')
      throw new OpenAiRequestError('tool_choice needs tools', 'tool_choice');
    return {};
  }
  const tools = dto.tools.map((tool) => ({
    name: tool.function.name,
    ...(tool.function.description ? { description: tool.function.description } : {}),
    parameters: tool.function.parameters ?? { type: 'object', properties: {} },
  }));
  const choice = dto.tool_choice;
  if (typeof choice === 'object' && !tools.some((tool) => tool.name === choice.function.name))
    throw new OpenAiRequestError(
      `tool_choice names ${choice.function.name}, which is not among the tools`,
      'tool_choice',
    );
  return {
    tools,
    ...(choice === undefined
      ? {}
      : { toolChoice: typeof choice === 'string' ? choice : { name: choice.function.name } }),
  };
}

export function toResponseFormat(dto: ChatCompletionRequestDto): ResponseFormat {
  const format = dto.response_format;
  switch (format?.type) {
    case undefined:
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema':
      if (!format.json_schema) {
        throw new OpenAiRequestError(
          'response_format.json_schema is required for type json_schema',
          'response_format',
        );
      }
      return {
        type: 'json_schema',
        name: format.json_schema.name,
        schema: format.json_schema.schema,
      };
  }
}

/** The request every provider gets; parameters a provider cannot honour are dropped by its strategy. */
export function toProviderRequest(dto: ChatCompletionRequestDto): Omit<ProviderRequest, 'model'> {
  const maxOutputTokens = dto.max_completion_tokens ?? dto.max_tokens;
  return {
    messages: toMessages(dto.messages),
    responseFormat: toResponseFormat(dto),
    maxOutputTokens,
    temperature: dto.temperature,
    topP: dto.top_p,
    stop: dto.stop === undefined ? undefined : Array.isArray(dto.stop) ? dto.stop : [dto.stop],
    seed: dto.seed,
    presencePenalty: dto.presence_penalty,
    frequencyPenalty: dto.frequency_penalty,
    // With its own token limit the caller gets finish_reason "length" back, as from OpenAI.
    allowTruncation: maxOutputTokens !== undefined,
    ...(dto.reasoning_effort ? { thinking: REASONING_EFFORT[dto.reasoning_effort] } : {}),
    ...toTools(dto),
    ...(dto.prompt_cache_key ? { cacheKey: dto.prompt_cache_key } : {}),
    // `user` is not sent on; its hash only keeps one caller's requests on one provider key.
    ...(dto.user
      ? { affinity: createHash('sha256').update(dto.user).digest('hex').slice(0, 32) }
      : {}),
  };
}

/** OpenAI's `reasoning_effort` as the thinking level every provider's strategy maps. */
const REASONING_EFFORT: Record<string, ThinkingLevel> = {
  minimal: 'off',
  low: 'low',
  medium: 'default',
  high: 'default',
};

/** Known OpenAI fields that change nothing on this gateway. */
const NO_OP_FIELDS = [
  'store',
  'metadata',
  'parallel_tool_calls',
  'service_tier',
  'safety_identifier',
  'logprobs',
] as const;

/** The no-op fields a request set (named in x-llm-warning, so a caller knows they did nothing). */
export function ignoredFields(dto: ChatCompletionRequestDto): string[] {
  return NO_OP_FIELDS.filter((field) => dto[field] !== undefined);
}

const PARAMETER_NAMES: Record<SamplingParameter, string> = {
  temperature: 'temperature',
  topP: 'top_p',
  stop: 'stop',
  seed: 'seed',
  presencePenalty: 'presence_penalty',
  frequencyPenalty: 'frequency_penalty',
};

/** The request's parameters the serving provider does not honour (reported in a warning header). */
export function droppedParameters(
  request: Omit<ProviderRequest, 'model'>,
  supports: ReadonlySet<SamplingParameter>,
): string[] {
  return (Object.keys(PARAMETER_NAMES) as SamplingParameter[])
    .filter((parameter) => request[parameter] !== undefined && !supports.has(parameter))
    .map((parameter) => PARAMETER_NAMES[parameter]);
}

/**
 * What a request may cost before any call: its output limit (LLM_MAX_OUTPUT_TOKENS) and its estimated input
 * (LLM_MAX_INPUT_TOKENS).
 */
export function checkSpend(request: Omit<ProviderRequest, 'model'>, limits: CallerLimits): void {
  if (request.maxOutputTokens !== undefined && request.maxOutputTokens > limits.maxOutputTokens) {
    throw new OpenAiRequestError(
      `max_tokens may be at most ${limits.maxOutputTokens} here (LLM_MAX_OUTPUT_TOKENS)`,
      'max_tokens',
      'max_tokens_too_large',
    );
  }
  const inputTokens = estimateInputTokens(request);
  if (inputTokens > limits.maxInputTokens) {
    throw new OpenAiRequestError(
      `The messages are about ${inputTokens} tokens; at most ${limits.maxInputTokens} are accepted here (LLM_MAX_INPUT_TOKENS)`,
      'messages',
      'context_length_exceeded',
    );
  }
}

/**
 * The chain for a request: `default` is the configured chain (plus any `fallbacks`), a route is itself followed by
 * `fallbacks`. Routes whose provider has no key are left out; a chain left empty is a 400.
 * Returns `undefined` for the configured chain as it is (its routing state is the service-wide one).
 */
export function resolveChain(
  dto: ChatCompletionRequestDto,
  configuredChain: readonly Route[],
  isConfigured: (route: Route) => boolean,
  limits: CallerLimits,
): Route[] | undefined {
  if ((dto.fallbacks?.length ?? 0) > limits.maxRequestFallbacks) {
    throw new OpenAiRequestError(
      `At most ${limits.maxRequestFallbacks} fallbacks per request (LLM_MAX_REQUEST_FALLBACKS)`,
      'fallbacks',
      'too_many_fallbacks',
    );
  }
  const fallbacks = (dto.fallbacks ?? []).flatMap((text, index) =>
    routesForName(text, `fallbacks[${index}]`, configuredChain, limits),
  );
  const useDefault = dto.model.trim().toLowerCase() === 'default';
  if (useDefault && fallbacks.length === 0) return undefined;
  const head = useDefault
    ? [...configuredChain]
    : routesForName(dto.model, 'model', configuredChain, limits);
  const [first, ...rest] = [...head, ...fallbacks];
  const chain = buildChain(first, rest);
  const usable = chain.filter(isConfigured);
  if (usable.length === 0) {
    throw new OpenAiRequestError(
      `No API key is configured for the provider of ${chain.map(routeId).join(', ')}`,
      'model',
      'model_not_available',
    );
  }
  return usable;
}

/** A call's usage in OpenAI's Chat Completions form, the prompt-cache reads in `prompt_tokens_details`. */
export function chatUsage(usage: TokenUsage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
  };
}

/** `x-llm-attempts`: `gemini:gemini-3-flash-preview=overloaded(503),openai:gpt-4o-mini=success`. */
export function attemptsHeader(attempts: AttemptRecord[]): string {
  return attempts
    .map(
      (attempt) =>
        `${attempt.provider}:${attempt.model}=${attempt.outcome}${attempt.status ? `(${attempt.status})` : ''}`,
    )
    .join(',');
}

/** What ended a stream after it started, as the `code` suffix of the error event. */
export function streamFailureKind(error: unknown): string {
  if (error instanceof ProviderError) return error.kind;
  if (error instanceof RequestAbortedError) return 'aborted';
  if (error instanceof AllRoutesFailedError) return 'all_routes_failed';
  return 'error';
}
