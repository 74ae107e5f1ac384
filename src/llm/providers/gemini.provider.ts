import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import {
  Content,
  FunctionCallingConfigMode,
  GenerateContentConfig,
  GenerateContentParameters,
  GenerateContentResponse,
  GoogleGenAI,
} from '@google/genai';
import type { ThinkingLevel } from '../config/thinking';
import { ProviderError } from '../llm.errors';
import {
  ChatMessage,
  LlmProvider,
  ProviderCallOptions,
  ProviderRequest,
  ProviderResponse,
  SamplingParameter,
  StreamEvent,
  TokenUsage,
  ToolCall,
  ToolChoice,
} from '../llm.types';
import { Route } from '../routes';
import { incompleteStream, settleFinish } from './finish';
import { geminiThinking, mapGeminiError, mapGeminiFinishReason } from './gemini.mapping';
import { parseRetryAfter } from './http-failure';
import { KeyRing } from './key-ring';
import { KeyedClients } from './keyed-clients';
import { providerFetch } from './provider-fetch';
import { ProviderClientSettings, thinkingOf, withHeadroom } from './provider-settings';
import type { ProviderDefinition } from './provider-settings';
import { argumentsObject, finishWithTools, toolNameOf } from './tool-calls';

/** Per-call notes the fetch wrapper fills in: the SDK's ApiError drops the headers and the structured details. */
interface CallNotes {
  retryAfterMs?: number;
  /** The 400 carried `google.rpc.ErrorInfo` reason API_KEY_INVALID: the key was rejected. */
  keyRejected?: boolean;
}

interface GoogleErrorBody {
  error?: { details?: Array<Record<string, unknown>> };
}

async function errorDetails(response: Response): Promise<Array<Record<string, unknown>>> {
  try {
    const body = (await response.clone().json()) as GoogleErrorBody;
    return body.error?.details ?? [];
  } catch {
    return [];
  }
}

/** `google.rpc.RetryInfo.retryDelay` ("30s") from an error body, for servers that send no Retry-After header. */
async function retryDelayFromBody(response: Response): Promise<number | undefined> {
  const info = (await errorDetails(response)).find((detail) =>
    String(detail['@type']).endsWith('google.rpc.RetryInfo'),
  );
  const delay =
    typeof info?.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(info.retryDelay) : null;
  return delay ? Math.round(Number(delay[1]) * 1000) : undefined;
}

/** Gemini rejects a bad key with 400 INVALID_ARGUMENT and ErrorInfo reason API_KEY_INVALID, not with a 401. */
async function keyRejected(response: Response): Promise<boolean> {
  return (await errorDetails(response)).some(
    (detail) =>
      String(detail['@type']).endsWith('google.rpc.ErrorInfo') &&
      detail.reason === 'API_KEY_INVALID',
  );
}

/**
 * The conversation as Gemini contents: tool calls as `functionCall` parts of the model turn, their results as
 * `functionResponse` parts (by function name, which Gemini matches on) in one user turn.
 */
function toGeminiContents(messages: ChatMessage[]): Content[] {
  const contents: Content[] = [];
  for (const message of messages) {
    if (message.role === 'system') continue;
    if (message.role === 'tool') {
      const part = {
        functionResponse: {
          id: message.toolCallId,
          name: toolNameOf(messages, message.toolCallId),
          response: resultObject(message.content),
        },
      };
      const previous = contents[contents.length - 1];
      if (previous?.role === 'user' && previous.parts?.every((p) => p.functionResponse))
        previous.parts.push(part);
      else contents.push({ role: 'user', parts: [part] });
      continue;
    }
    if (message.role === 'assistant') {
      contents.push({
        role: 'model',
        parts: [
          ...(message.content || !message.toolCalls?.length ? [{ text: message.content }] : []),
          ...(message.toolCalls ?? []).map((call) => ({
            functionCall: { id: call.id, name: call.name, args: argumentsObject(call) },
          })),
        ],
      });
      continue;
    }
    contents.push({ role: 'user', parts: [{ text: message.content }] });
  }
  return contents;
}

/** A tool's result as the object Gemini wants: its JSON when it is an object, else `{result: text}`. */
function resultObject(content: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(content);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // plain text
  }
  return { result: content };
}

function toGeminiToolConfig(choice: ToolChoice | undefined): GenerateContentConfig['toolConfig'] {
  if (choice === undefined || choice === 'auto')
    return { functionCallingConfig: { mode: FunctionCallingConfigMode.AUTO } };
  if (choice === 'none') return { functionCallingConfig: { mode: FunctionCallingConfigMode.NONE } };
  if (choice === 'required')
    return { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } };
  return {
    functionCallingConfig: {
      mode: FunctionCallingConfigMode.ANY,
      allowedFunctionNames: [choice.name],
    },
  };
}

/** The function calls of an answer; Gemini may leave ids out, so each call gets one. */
function toolCallsOf(response: GenerateContentResponse): ToolCall[] {
  return (response.functionCalls ?? []).map((call) => ({
    id: call.id ?? `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    name: call.name ?? '',
    arguments: JSON.stringify(call.args ?? {}),
  }));
}

function toGeminiParams(
  request: ProviderRequest,
  signal: AbortSignal,
  thinking: ThinkingLevel,
): GenerateContentParameters {
  const control = geminiThinking(request.model, thinking);
  const system = request.messages
    .filter((message) => message.role === 'system')
    .map((message) => message.content);
  const contents = toGeminiContents(request.messages);
  const config: GenerateContentConfig = {
    systemInstruction: system.length > 0 ? system.join('\n\n') : undefined,
    maxOutputTokens: withHeadroom(request.maxOutputTokens, control.headroom),
    ...(control.thinkingConfig ? { thinkingConfig: control.thinkingConfig } : {}),
    temperature: request.temperature,
    topP: request.topP,
    stopSequences: request.stop,
    seed: request.seed,
    presencePenalty: request.presencePenalty,
    frequencyPenalty: request.frequencyPenalty,
    abortSignal: signal,
    // The SDK would otherwise resend the request by itself on a CONTINUATION finish: a retry loop outside the
    // fallback service's policy. A CONTINUATION finish is then an unfinished answer (truncated).
    automaticContinuation: false,
  };
  if (request.tools?.length) {
    config.tools = [
      {
        functionDeclarations: request.tools.map((tool) => ({
          name: tool.name,
          ...(tool.description ? { description: tool.description } : {}),
          parametersJsonSchema: tool.parameters,
        })),
      },
    ];
    if (request.toolChoice !== undefined)
      config.toolConfig = toGeminiToolConfig(request.toolChoice);
  } else {
    // JSON mode and function calling do not go together on Gemini; with tools the format is left to the prompt.
    if (request.responseFormat.type !== 'text') config.responseMimeType = 'application/json';
    if (request.responseFormat.type === 'json_schema')
      config.responseJsonSchema = request.responseFormat.schema;
  }
  return { model: request.model, contents, config };
}

/** The answer's text parts (the SDK's `text` getter warns when an answer also has function calls). */
function textOf(response: GenerateContentResponse): string {
  return (response.candidates?.[0]?.content?.parts ?? [])
    .map((part) => (typeof part.text === 'string' && !part.thought ? part.text : ''))
    .join('');
}

function usageOf(response: GenerateContentResponse): TokenUsage {
  const usage = response.usageMetadata;
  return {
    inputTokens: usage?.promptTokenCount ?? 0,
    outputTokens: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
    // Implicit (and explicit) cache hits: part of promptTokenCount.
    cachedInputTokens: usage?.cachedContentTokenCount ?? 0,
  };
}

/** A 200 can still carry a blocked prompt (`promptFeedback.blockReason`). */
function throwIfBlocked(route: Route, response: GenerateContentResponse): void {
  const blockReason = response.promptFeedback?.blockReason;
  if (blockReason) {
    throw new ProviderError(
      route,
      { kind: 'content_blocked', status: 200 },
      { detail: `blockReason ${blockReason}` },
    );
  }
}

/** Gemini generateContent; structured output through responseMimeType + responseJsonSchema. */
export class GeminiProvider implements LlmProvider {
  readonly name = 'gemini' as const;
  readonly telemetryName = 'gcp.gemini';
  readonly configured: boolean;
  readonly supports: ReadonlySet<SamplingParameter> = new Set<SamplingParameter>([
    'temperature',
    'topP',
    'stop',
    'seed',
    'presencePenalty',
    'frequencyPenalty',
  ]);
  private readonly clients: KeyedClients<GoogleGenAI>;
  private readonly callNotes = new AsyncLocalStorage<CallNotes>();

  constructor(private readonly settings: ProviderClientSettings) {
    // Gemini sends no rate-limit headers: its keys learn from their 429s (RetryInfo) only.
    this.clients = new KeyedClients(
      settings.keys,
      (apiKey, fetch) =>
        new GoogleGenAI({
          apiKey,
          httpOptions: {
            baseUrl: settings.baseUrl,
            timeout: settings.attemptTimeoutMs,
            fetch: this.noteRetryAfter(fetch),
          },
        }),
      () => providerFetch(() => settings.malformedEvents?.add(this.name)),
    );
    this.configured = this.clients.configured;
  }

  get keys(): KeyRing {
    return this.clients.ring;
  }

  /** A final `model` turn is continued by every Gemini model. */
  acceptsPrefill(): boolean {
    return true;
  }

  async generate(
    request: ProviderRequest,
    options: ProviderCallOptions,
  ): Promise<ProviderResponse> {
    const route = { provider: this.name, model: request.model };
    const { key, client } = this.clients.take(route, request);
    const notes: CallNotes = {};
    let response: GenerateContentResponse;
    try {
      response = await this.callNotes.run(notes, () =>
        client.models.generateContent(
          toGeminiParams(request, options.signal, thinkingOf(this.settings, this.name, request)),
        ),
      );
    } catch (error) {
      throw this.clients.failed(
        key,
        new ProviderError(route, mapGeminiError(error, notes), { cause: error }),
      );
    }
    throwIfBlocked(route, response);
    const candidate = response.candidates?.[0];
    if (!candidate)
      throw new ProviderError(route, { kind: 'invalid_output' }, { detail: 'no candidates' });
    const finish = settleFinish(
      route,
      mapGeminiFinishReason(candidate.finishReason),
      request.allowTruncation,
      `finishReason ${candidate.finishReason}`,
    );
    const toolCalls = toolCallsOf(response);
    return {
      text: textOf(response),
      finish: finishWithTools(finish, toolCalls),
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      usage: usageOf(response),
      key,
    };
  }

  async *stream(
    request: ProviderRequest,
    options: ProviderCallOptions,
  ): AsyncIterable<StreamEvent> {
    const route = { provider: this.name, model: request.model };
    const { key, client } = this.clients.take(route, request);
    const notes: CallNotes = {};
    let finishReason: string | undefined;
    let usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
    const toolCalls: ToolCall[] = [];
    try {
      const chunks = await this.callNotes.run(notes, () =>
        client.models.generateContentStream(this.streamParams(request, options.signal)),
      );
      for await (const chunk of chunks) {
        throwIfBlocked(route, chunk);
        const text = textOf(chunk);
        if (text) yield { type: 'text', text };
        toolCalls.push(...toolCallsOf(chunk));
        finishReason = chunk.candidates?.[0]?.finishReason ?? finishReason;
        if (chunk.usageMetadata) usage = usageOf(chunk);
      }
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw this.clients.failed(
        key,
        new ProviderError(route, mapGeminiError(error, notes), { cause: error }),
      );
    }
    if (finishReason === undefined) throw incompleteStream(route);
    const finish = settleFinish(
      route,
      mapGeminiFinishReason(finishReason),
      request.allowTruncation,
      `finishReason ${finishReason}`,
    );
    for (const call of toolCalls) yield { type: 'tool_call', call };
    yield { type: 'end', finish: finishWithTools(finish, toolCalls), usage };
  }

  /**
   * A stream's parameters: the client's timeout (the attempt timeout) would cover the whole body in this SDK and
   * cut a healthy long stream, so a stream gets LLM_STREAM_MAX_DURATION_MS instead; the fallback service's own
   * timers bound the first content, each silence, and the whole stream.
   */
  private streamParams(request: ProviderRequest, signal: AbortSignal): GenerateContentParameters {
    const params = toGeminiParams(request, signal, thinkingOf(this.settings, this.name, request));
    return {
      ...params,
      config: { ...params.config, httpOptions: { timeout: this.settings.streamMaxDurationMs } },
    };
  }

  private noteRetryAfter(baseFetch: typeof fetch): typeof fetch {
    return async (input, init) => {
      const response = await baseFetch(input, init);
      const notes = this.callNotes.getStore();
      if (notes && response.status === 429) {
        notes.retryAfterMs =
          parseRetryAfter(response.headers) ?? (await retryDelayFromBody(response));
      }
      if (notes && response.status === 400) notes.keyRejected = await keyRejected(response);
      return response;
    };
  }
}

export const GEMINI: ProviderDefinition = {
  name: 'gemini',
  environmentPrefix: 'GEMINI',
  pricingId: 'google',
  create: (settings) => new GeminiProvider(settings),
};
