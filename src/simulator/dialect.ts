/** One function call the simulated model makes. */
export interface SimulatedToolCall {
  id: string;
  name: string;
  args: unknown;
}

export type SimulatedProvider = 'openai' | 'anthropic' | 'gemini';
export type JsonObject = Record<string, unknown>;

/** One provider request as the simulator sees it. */
export interface ParsedCall {
  provider: SimulatedProvider;
  /** A named OpenAI-compatible endpoint the call came to (`/endpoints/azure/v1/…`): its routes are `azure:<model>`. */
  endpoint?: string;
  model: string;
  body: JsonObject;
  stream: boolean;
  /** Prompt tokens read from and written to the simulated prompt cache (part of the prompt tokens). */
  cache?: { read: number; written: number };
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/**
 * How an answer ends: properly, cut by the output-token limit, or (Gemini) paused with a continuation token for the
 * client to resume from; providers without continuation end that one as truncated.
 */
export type Ending = 'complete' | 'truncated' | 'continuation';

/** How a simulated stream ends: properly, truncated by the token limit, refused, or without its end marker. */
export type StreamEnding = Ending | 'blocked' | 'no_end_marker';

export interface StreamPlan {
  call: ParsedCall;
  /** Text deltas in order (for a forced Anthropic tool: partial JSON). */
  chunks: string[];
  ending: StreamEnding;
  promptTokens: number;
  outputTokens: number;
  /** Stream the deltas as the structured-output tool call, where the dialect has one. */
  asTool: boolean;
}

/**
 * One provider's wire format: which paths it serves, where its requests put the schema, and how its answers,
 * refusals, errors and streams look. One file per provider in `dialects/`, mirroring `src/llm/providers/`.
 */
export interface Dialect {
  readonly provider: SimulatedProvider;
  /** The status this provider answers when it is overloaded (Anthropic: 529). */
  readonly overloadedStatus: number;
  /** The model and streaming flag of a request to `path`, if the path is this provider's. */
  route(path: string, body: JsonObject): { model: string; stream: boolean } | undefined;
  /** The JSON Schema the request asks the model to follow, wherever this provider puts it. */
  schemaOf(body: JsonObject): JsonObject | undefined;
  /** Whether the request asks for JSON without a schema. */
  wantsJsonObject(body: JsonObject): boolean;
  answer(
    call: ParsedCall,
    text: string,
    ending: Ending,
    promptTokens: number,
    toolInput?: unknown,
    thoughtTokens?: number,
  ): Answer;
  /**
   * How a thinking model spends this request's output budget: the thought tokens it uses before answering (counted
   * against the output limit, as Gemini 2.5/3 and OpenAI reasoning models do) and that limit, if the request set one.
   */
  thinking(call: ParsedCall): { thoughts: number; limit: number | undefined };
  blocked(call: ParsedCall, promptTokens: number): Answer;
  failure(status: number, code?: string): Answer;
  /** The provider's answer to a rejected key. */
  invalidKey(): Answer;
  /** The provider's content-policy refusal of the request. */
  contentPolicy(call: ParsedCall, promptTokens: number): Answer;
  streamFrames(plan: StreamPlan): string[];
  /** The model calls a function instead of answering (finish reason: tool calls). */
  toolCall(call: ParsedCall, toolCall: SimulatedToolCall, promptTokens: number): Answer;
  /** The same, streamed (arguments in pieces where the provider streams them so). */
  toolCallFrames(call: ParsedCall, toolCall: SimulatedToolCall, promptTokens: number): string[];
}

/** `value.a.b.c` when each step is an object, else undefined. */
export function dig(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as JsonObject)[key];
  }
  return current;
}

export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null ? (value as JsonObject) : undefined;
}

/** Every string in a value, joined: the prompt as the model would read it, whatever the wire format. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(textOf).join('\n');
  if (typeof value === 'object' && value !== null)
    return Object.values(value).map(textOf).join('\n');
  return '';
}

/** One server-sent event. */
export const frame = (data: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

export const numberAt = (value: unknown, ...path: string[]): number | undefined => {
  const found = dig(value, ...path);
  return typeof found === 'number' ? found : undefined;
};

export const errorMessage = (status: number) => `simulated ${status}`;
