import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  FinishReason,
  Interpret,
  LlmCallMeta,
  LlmService,
  ProviderError,
  ProviderRequest,
  ProviderResponse,
  Route,
  routeId,
  StreamSession,
  ToolCall,
} from '../llm';
import {
  attemptsHeader,
  chatUsage,
  checkSpend,
  ignoredFields,
  droppedParameters,
  OpenAiToolCall,
  resolveChain,
  toOpenAiToolCall,
  toProviderRequest,
} from './chat-translation';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';

export interface ChatCallContext {
  requestId: string;
  signal: AbortSignal;
}

/** Headers every answer carries: the serving route, the attempts, and parameters the route dropped. */
export type RouteHeaders = Record<string, string>;

/** The route headers every answer carries (`x-llm-route`, `x-llm-attempts`, `x-llm-warning`). */
export function setRouteHeaders(
  reply: { header(name: string, value: string): unknown },
  headers: RouteHeaders,
): void {
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: {
      role: 'assistant';
      content: string | null;
      refusal: null;
      tool_calls?: OpenAiToolCall[];
    };
    finish_reason: FinishReason;
    logprobs: null;
  }>;
  usage: ReturnType<typeof chatUsage>;
  system_fingerprint: null;
}

export interface PreparedChat {
  request: Omit<ProviderRequest, 'model'>;
  chain: Route[] | undefined;
  /** Known OpenAI fields the request set that change nothing here (named in x-llm-warning). */
  ignored: string[];
}

/** A JSON response format is checked before the answer is accepted; anything else is taken as text. */
function interpreterFor(
  request: Omit<ProviderRequest, 'model'>,
): Interpret<Pick<ProviderResponse, 'text' | 'finish' | 'toolCalls'>> {
  return async (response, route) => {
    if (request.responseFormat.type !== 'text' && response.finish === 'stop') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(response.text);
      } catch {
        parsed = undefined;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new ProviderError(route, { kind: 'invalid_output' }, { detail: 'not a JSON object' });
      }
    }
    return { text: response.text, finish: response.finish, toolCalls: response.toolCalls };
  };
}

/** The answer as OpenAI's assistant message: text, or tool calls (then `content` is null when there is no text). */
function assistantMessage(
  text: string,
  toolCalls: ToolCall[] | undefined,
): ChatCompletion['choices'][number]['message'] {
  if (!toolCalls?.length) return { role: 'assistant', content: text, refusal: null };
  return {
    role: 'assistant',
    content: text || null,
    refusal: null,
    tool_calls: toolCalls.map(toOpenAiToolCall),
  };
}

/** The OpenAI Chat Completions protocol over the fallback layer. */
@Injectable()
export class ChatCompletionsService {
  constructor(private readonly llm: LlmService) {}

  prepare(dto: ChatCompletionRequestDto): PreparedChat {
    const limits = this.llm.callerLimits();
    const chain = resolveChain(
      dto,
      this.llm.routes(),
      (route) => this.llm.supports(route) !== undefined,
      limits,
    );
    const request = toProviderRequest(dto);
    checkSpend(request, limits);
    return { request, chain, ignored: ignoredFields(dto) };
  }

  async complete(
    prepared: PreparedChat,
    context: ChatCallContext,
  ): Promise<{ body: ChatCompletion; headers: RouteHeaders }> {
    const result = await this.llm.run(prepared.request, interpreterFor(prepared.request), {
      content: 'caller',
      chain: prepared.chain,
      signal: context.signal,
      requestId: context.requestId,
    });
    const { usage } = result.meta;
    return {
      headers: this.routeHeaders(result.meta, prepared),
      body: {
        id: `chatcmpl-${randomUUID()}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: routeId(result.meta),
        choices: [
          {
            index: 0,
            message: assistantMessage(result.value.text, result.value.toolCalls),
            finish_reason: result.value.finish,
            logprobs: null,
          },
        ],
        usage: chatUsage(usage),
        system_fingerprint: null,
      },
    };
  }

  /** Opens a stream; it falls back across routes until the first content, then is committed to one route. */
  async openStream(
    prepared: PreparedChat,
    context: ChatCallContext,
  ): Promise<{ session: StreamSession; headers: RouteHeaders }> {
    const session = await this.llm.stream(prepared.request, {
      content: 'caller',
      chain: prepared.chain,
      signal: context.signal,
      requestId: context.requestId,
    });
    return { session, headers: this.routeHeaders(session.meta, prepared) };
  }

  /** One model of `models()`, for `GET /v1/models/{id}`; undefined when the service does not serve it. */
  model(id: string): ReturnType<ChatCompletionsService['models']>[number] | undefined {
    return this.models().find((model) => model.id === id);
  }

  /** The names a client can use: `default`, the operator's aliases, the configured chain's usable routes. */
  models(): Array<{ id: string; object: 'model'; created: number; owned_by: string }> {
    const own = (id: string) => ({
      id,
      object: 'model' as const,
      created: 0,
      owned_by: 'resilient-llm-backend',
    });
    return [
      own('default'),
      ...Object.keys(this.llm.callerLimits().aliases).map(own),
      ...this.llm.routes().map((route) => ({
        id: routeId(route),
        object: 'model' as const,
        created: 0,
        owned_by: route.provider,
      })),
    ];
  }

  private routeHeaders(meta: Omit<LlmCallMeta, 'usage'>, prepared: PreparedChat): RouteHeaders {
    const headers: RouteHeaders = {
      'x-llm-route': routeId(meta),
      'x-llm-attempts': attemptsHeader(meta.attempts),
    };
    const supported = this.llm.supports(meta);
    const dropped = supported ? droppedParameters(prepared.request, supported) : [];
    const warnings = [
      ...(dropped.length > 0
        ? [`${routeId(meta)} does not support ${dropped.join(', ')}; dropped`]
        : []),
      ...(prepared.ignored.length > 0
        ? [`${prepared.ignored.join(', ')} accepted and ignored`]
        : []),
    ];
    if (warnings.length > 0) headers['x-llm-warning'] = warnings.join('; ');
    return headers;
  }
}
