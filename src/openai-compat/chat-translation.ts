import { BadRequestException } from '@nestjs/common';
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
  parseRoute,
  Route,
  RouteParseError,
  routeId,
} from '../llm';
import { ChatCompletionRequestDto, ChatMessageDto } from './dto/chat-completion-request.dto';

/** A 400 in OpenAI's error format: `param` names the offending field. */
export class OpenAiRequestError extends BadRequestException {
  constructor(
    message: string,
    readonly param: string | null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

function textOf(content: ChatMessageDto['content']): string {
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

export function toMessages(messages: ChatMessageDto[]): ChatMessage[] {
  return messages.map((message) => ({
    role: message.role === 'developer' ? 'system' : message.role,
    content: textOf(message.content),
  }));
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
  'user',
  'parallel_tool_calls',
  'service_tier',
  'prompt_cache_key',
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

function parseRouteOrThrow(text: string, param: string): Route {
  try {
    return parseRoute(text);
  } catch (error) {
    if (!(error instanceof RouteParseError)) throw error;
    throw new OpenAiRequestError(
      `${param} must be "default" or "provider:model" with provider openai, anthropic or gemini: the value ${error.message}`,
      param,
      'invalid_model',
    );
  }
}

/** A route the caller may not use (neither in the configured chain nor in LLM_ALLOWED_ROUTES): 400 before any call. */
function allowedOrThrow(route: Route, param: string, limits: CallerLimits): Route {
  if (limits.allows(route)) return route;
  throw new OpenAiRequestError(
    `${param} names a route this service does not allow: use "default", a configured route (GET /v1/models), or one allowed by LLM_ALLOWED_ROUTES`,
    param,
    'model_not_allowed',
  );
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
  const inputTokens = estimateInputTokens(request.messages);
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
  const fallbacks = (dto.fallbacks ?? []).map((text, index) =>
    allowedOrThrow(parseRouteOrThrow(text, `fallbacks[${index}]`), `fallbacks[${index}]`, limits),
  );
  const useDefault = dto.model.trim().toLowerCase() === 'default';
  if (useDefault && fallbacks.length === 0) return undefined;
  const head = useDefault
    ? [...configuredChain]
    : [allowedOrThrow(parseRouteOrThrow(dto.model, 'model'), 'model', limits)];
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

/** `x-llm-attempts`: `gemini:gemini-3-flash-preview=overloaded(503),openai:gpt-4o-mini=success`. */
export function attemptsHeader(attempts: AttemptRecord[]): string {
  return attempts
    .map(
      (attempt) =>
        `${attempt.provider}:${attempt.model}=${attempt.outcome}${attempt.status ? `(${attempt.status})` : ''}`,
    )
    .join(',');
}
