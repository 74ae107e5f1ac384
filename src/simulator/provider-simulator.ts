import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { isLessonSchema, simulatedLesson } from './lesson-fixture';
import { sampleFromSchema } from './sample-from-schema';
import { splitIntoChunks, StreamEnding, streamFrames } from './streaming';

export type SimulatedProvider = 'openai' | 'anthropic' | 'gemini';

/** What the simulator does with one request to a route. */
export type Fault =
  | 'ok'
  | 'overloaded' // 503; 529 for Anthropic
  | 'unavailable' // 503 for every provider
  | 'server_error' // 500
  | 'bad_gateway' // 502
  | 'rate_limited' // 429, with retryAfterSeconds / retryAfterMs when given
  | 'unauthorized' // 401
  | 'bad_request' // 400
  | 'context_length' // 400 with the provider's context-length signal
  | 'hang' // never answers
  | 'reset' // destroys the connection
  | 'truncated' // half a JSON document with the provider's length finish reason
  | 'prose' // a friendly paragraph instead of JSON
  | 'schema_violation' // valid JSON that breaks the schema
  | 'blocked' // OpenAI content_filter, Anthropic refusal, Gemini 200 + promptFeedback.blockReason
  | 'slow' // a valid answer after delayMs
  | 'stream_cut' // streams: half the deltas, then the response ends without the provider's end marker
  | 'stream_reset' // streams: half the deltas, then the connection is destroyed
  | 'stream_stall'; // streams: the first delta, then silence

export interface Behaviour {
  /** `mix`: pick one of `mix` at random, by weight, for each request. */
  fault: Fault | 'mix';
  mix?: Array<{ weight: number; behaviour: Behaviour }>;
  retryAfterSeconds?: number;
  retryAfterMs?: number;
  /** For `slow` (and added to any answer). */
  delayMs?: number;
  /** For `ok`: answer with this JSON value instead of a sample built from the request's schema. */
  json?: unknown;
}

export interface SimulatedAttempt {
  seq: number;
  route: string;
  provider: SimulatedProvider;
  model: string;
  /** Milliseconds since the simulator started (performance.now based). */
  at: number;
  fault: Fault;
  status: number | undefined;
  /** Whether the request carried a JSON Schema for native structured output. */
  hasSchema: boolean;
}

interface ParsedCall {
  provider: SimulatedProvider;
  model: string;
  body: Record<string, unknown>;
  stream: boolean;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** Faults a streamed request answers with a 200 event stream; the rest answer as they do without streaming. */
const STREAMED_FAULTS = new Set<Fault>([
  'ok',
  'slow',
  'truncated',
  'prose',
  'schema_violation',
  'blocked',
  'stream_cut',
  'stream_reset',
  'stream_stall',
]);

/** Valid JSON that matches no schema the service uses. */
const SCHEMA_VIOLATION = { unexpected: 'shape', items: 3 };

const PROSE =
  'Sure! Here is what you asked for: a thoughtful overview, written as a friendly paragraph rather than data.';

function toBehaviour(input: Fault | Behaviour): Behaviour {
  return typeof input === 'string' ? { fault: input } : input;
}

/**
 * A local stand-in for the OpenAI, Anthropic and Gemini HTTP APIs on their real paths, scriptable per route
 * (`provider:model`). It answers valid JSON for the schema each request carries, injects faults on demand and
 * records every attempt. Serves the e2e tests, the zero-key default, the benchmarks, and `npm run simulator`.
 */
export class ProviderSimulator {
  /** Added to every answer (simulated model latency). */
  latencyMs = 0;
  /** Pause between streamed events. */
  streamGapMs = 0;
  readonly attempts: SimulatedAttempt[] = [];
  private readonly queues = new Map<string, Behaviour[]>();
  private readonly defaults = new Map<string, Behaviour>();
  private readonly sockets = new Set<Socket>();
  private readonly startedAt = performance.now();
  private server: Server | undefined;
  private seq = 0;

  constructor(options: { latencyMs?: number } = {}) {
    this.latencyMs = options.latencyMs ?? 0;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((request, response) => void this.handle(request, response));
    server.keepAliveTimeout = 5_000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    return this.url;
  }

  get url(): string {
    if (!this.server) throw new Error('simulator not started');
    const { port, address } = this.server.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  /** Base URLs as each SDK defines them. */
  get baseUrls(): Record<SimulatedProvider, string> {
    return { openai: `${this.url}/v1`, anthropic: this.url, gemini: this.url };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Queues one-shot behaviours for a route (`gemini:gemini-2.5-flash`), used in order by its next attempts. */
  script(route: string, ...behaviours: Array<Fault | Behaviour>): this {
    const queue = this.queues.get(route) ?? [];
    queue.push(...behaviours.map(toBehaviour));
    this.queues.set(route, queue);
    return this;
  }

  /** What a route does once its queue is empty (default: answer correctly). */
  always(route: string, behaviour: Fault | Behaviour): this {
    this.defaults.set(route, toBehaviour(behaviour));
    return this;
  }

  /** Forgets scripts, defaults and recorded attempts. */
  reset(): void {
    this.queues.clear();
    this.defaults.clear();
    this.attempts.length = 0;
    this.latencyMs = 0;
    this.streamGapMs = 0;
  }

  attemptsFor(route: string): SimulatedAttempt[] {
    return this.attempts.filter((attempt) => attempt.route === route);
  }

  /** Route of each attempt in order, e.g. `['gemini:a', 'openai:b']`. */
  routesSeen(): string[] {
    return this.attempts.map((attempt) => attempt.route);
  }

  private nextBehaviour(route: string): Behaviour & { fault: Fault } {
    const chosen = this.queues.get(route)?.shift() ?? this.defaults.get(route) ?? { fault: 'ok' };
    return resolveMix(chosen);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let raw: string;
    try {
      raw = await readBody(request);
    } catch {
      return;
    }
    const url = new URL(request.url ?? '/', 'http://simulator');
    if (url.pathname.startsWith('/__simulator'))
      return this.control(request.method ?? 'GET', url.pathname, raw, response);

    const call = parseCall(request.method ?? 'GET', url.pathname, raw);
    if (!call) return send(response, { status: 404, body: { error: { message: 'not found' } } });
    const route = `${call.provider}:${call.model}`;
    const behaviour = this.nextBehaviour(route);
    const schema = schemaOf(call);
    const attempt: SimulatedAttempt = {
      seq: ++this.seq,
      route,
      provider: call.provider,
      model: call.model,
      at: Math.round(performance.now() - this.startedAt),
      fault: behaviour.fault,
      status: undefined,
      hasSchema: schema !== undefined,
    };
    this.attempts.push(attempt);

    if (behaviour.fault === 'hang') return; // never answered; the socket is destroyed at stop()
    const delay = this.latencyMs + (behaviour.delayMs ?? 0);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (behaviour.fault === 'reset') {
      request.socket.destroy();
      return;
    }
    if (call.stream && STREAMED_FAULTS.has(behaviour.fault)) {
      attempt.status = 200;
      return this.streamAnswer(call, behaviour, schema, request, response);
    }
    const answer = answerFor(call, behaviour, schema);
    attempt.status = answer.status;
    send(response, answer);
  }

  /** Writes a streamed answer as server-sent events; stream faults cut, reset or stall it part-way. */
  private async streamAnswer(
    call: ParsedCall,
    behaviour: Behaviour,
    schema: JsonObject | undefined,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const value =
      behaviour.fault === 'schema_violation'
        ? SCHEMA_VIOLATION
        : answerValue(call, behaviour, schema);
    const document =
      value === undefined
        ? `Simulated answer from ${call.provider}/${call.model}.`
        : JSON.stringify(value);
    const text =
      behaviour.fault === 'prose'
        ? PROSE
        : behaviour.fault === 'truncated'
          ? document.slice(0, Math.ceil(document.length / 2))
          : document;
    const chunks = splitIntoChunks(text);
    const ending: StreamEnding =
      behaviour.fault === 'truncated'
        ? 'truncated'
        : behaviour.fault === 'blocked'
          ? 'blocked'
          : behaviour.fault === 'stream_cut' || behaviour.fault === 'stream_reset'
            ? 'no_end_marker'
            : 'complete';
    const forcedTool = (call.body.tool_choice as { name?: string } | undefined)?.name;
    const frames = streamFrames({
      provider: call.provider,
      model: call.model,
      chunks:
        behaviour.fault === 'stream_cut' || behaviour.fault === 'stream_reset'
          ? chunks.slice(0, Math.ceil(chunks.length / 2))
          : chunks,
      ending,
      promptTokens: estimateTokens(JSON.stringify(call.body)),
      outputTokens: estimateTokens(text),
      includeUsage: dig(call.body, 'stream_options', 'include_usage') === true,
      toolName:
        call.provider === 'anthropic' && schema && behaviour.fault !== 'prose'
          ? forcedTool
          : undefined,
    });
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const gapMs = this.streamGapMs;
    for (const [position, payload] of frames.entries()) {
      if (response.destroyed) return;
      response.write(payload);
      if (behaviour.fault === 'stream_stall' && position === 1) return; // never finishes; destroyed at stop()
      if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    if (behaviour.fault === 'stream_reset') {
      request.socket.destroy();
      return;
    }
    response.end();
  }

  private control(method: string, path: string, raw: string, response: ServerResponse): void {
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    if (method === 'GET' && path === '/__simulator/attempts')
      return send(response, { status: 200, body: this.attempts });
    if (method === 'POST' && path === '/__simulator/reset') {
      this.reset();
      return send(response, { status: 200, body: { ok: true } });
    }
    if (method === 'POST' && path === '/__simulator/script') {
      const route = String(body.route);
      if (Array.isArray(body.behaviours)) this.script(route, ...(body.behaviours as Behaviour[]));
      if (body.always) this.always(route, body.always as Behaviour);
      return send(response, { status: 200, body: { ok: true } });
    }
    if (method === 'POST' && path === '/__simulator/latency') {
      this.latencyMs = Number(body.ms) || 0;
      return send(response, { status: 200, body: { ok: true } });
    }
    send(response, { status: 404, body: { error: 'unknown control path' } });
  }
}

/** A `mix` behaviour resolved to one concrete behaviour (the weights need not add up to 1; the rest is `ok`). */
function resolveMix(behaviour: Behaviour): Behaviour & { fault: Fault } {
  if (behaviour.fault !== 'mix') return behaviour as Behaviour & { fault: Fault };
  let roll = Math.random();
  for (const { weight, behaviour: option } of behaviour.mix ?? []) {
    if (roll < weight) return resolveMix(option);
    roll -= weight;
  }
  return { fault: 'ok' };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, answer: Answer): void {
  if (response.destroyed) return;
  const payload = JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...answer.headers,
  });
  response.end(payload);
}

function parseCall(method: string, path: string, raw: string): ParsedCall | undefined {
  if (method !== 'POST') return undefined;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const stream = body.stream === true;
  if (path === '/v1/chat/completions')
    return { provider: 'openai', model: String(body.model), body, stream };
  if (path === '/v1/messages')
    return { provider: 'anthropic', model: String(body.model), body, stream };
  const gemini = /^\/v1(?:beta)?\/models\/([^/]+):(generateContent|streamGenerateContent)$/.exec(
    path,
  );
  if (gemini) {
    const streaming = gemini[2] === 'streamGenerateContent';
    return { provider: 'gemini', model: decodeURIComponent(gemini[1]), body, stream: streaming };
  }
  return undefined;
}

type JsonObject = Record<string, unknown>;

/** `body.a.b.c` when each step is an object, else undefined. */
function dig(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as JsonObject)[key];
  }
  return current;
}

function asSchema(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null ? (value as JsonObject) : undefined;
}

/** The JSON Schema the request asks the model to follow, wherever its provider puts it. */
function schemaOf(call: ParsedCall): JsonObject | undefined {
  const body = call.body;
  switch (call.provider) {
    case 'openai':
      return dig(body, 'response_format', 'type') === 'json_schema'
        ? asSchema(dig(body, 'response_format', 'json_schema', 'schema'))
        : undefined;
    case 'anthropic': {
      const forced =
        dig(body, 'tool_choice', 'type') === 'tool' ? dig(body, 'tool_choice', 'name') : undefined;
      const tools = Array.isArray(body.tools) ? (body.tools as unknown[]) : [];
      const tool = tools.find((item) => dig(item, 'name') === forced);
      return (
        asSchema(dig(tool, 'input_schema')) ??
        asSchema(dig(body, 'output_config', 'format', 'schema'))
      );
    }
    case 'gemini':
      return (
        asSchema(dig(body, 'generationConfig', 'responseJsonSchema')) ??
        asSchema(dig(body, 'generationConfig', 'responseSchema'))
      );
  }
}

/** Every string in a request body, joined: the prompt as the model would read it, whatever the wire format. */
function promptText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(promptText).join('\n');
  if (typeof value === 'object' && value !== null)
    return Object.values(value).map(promptText).join('\n');
  return '';
}

/** Whether the request asks for JSON without a schema (OpenAI json_object, Gemini JSON mime type, our Anthropic instruction). */
function wantsJsonObject(call: ParsedCall): boolean {
  switch (call.provider) {
    case 'openai':
      return dig(call.body, 'response_format', 'type') === 'json_object';
    case 'gemini':
      return dig(call.body, 'generationConfig', 'responseMimeType') === 'application/json';
    case 'anthropic':
      return promptText(call.body.system).includes('single JSON object');
  }
}

/** The value a correct answer carries: scripted, sampled from the schema, a small object for JSON mode, or none (text). */
function answerValue(
  call: ParsedCall,
  behaviour: Behaviour,
  schema: JsonObject | undefined,
): unknown {
  if (behaviour.json !== undefined) return behaviour.json;
  if (schema) return sampleFor(schema, call);
  return wantsJsonObject(call)
    ? { answer: `Simulated answer from ${call.provider}/${call.model}.` }
    : undefined;
}

function sampleFor(schema: JsonObject, call: ParsedCall): unknown {
  return isLessonSchema(schema) ? simulatedLesson(promptText(call.body)) : sampleFromSchema(schema);
}

function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function answerFor(
  call: ParsedCall,
  behaviour: Behaviour & { fault: Fault },
  schema: Record<string, unknown> | undefined,
): Answer {
  const { provider } = call;
  const promptTokens = estimateTokens(JSON.stringify(call.body));
  const value = answerValue(call, behaviour, schema);
  const document =
    value === undefined
      ? `Simulated answer from ${provider}/${call.model}.`
      : JSON.stringify(value);
  switch (behaviour.fault) {
    case 'ok':
    case 'slow':
      return success(call, document, 'complete', promptTokens, value);
    case 'truncated':
      return success(
        call,
        document.slice(0, Math.max(1, Math.floor(document.length / 2))),
        'truncated',
        promptTokens,
      );
    case 'prose':
      return success(call, PROSE, 'complete', promptTokens, undefined, true);
    case 'schema_violation':
      return success(
        call,
        JSON.stringify(SCHEMA_VIOLATION),
        'complete',
        promptTokens,
        SCHEMA_VIOLATION,
      );
    case 'blocked':
      return blocked(call, promptTokens);
    case 'overloaded':
      return failure(provider, provider === 'anthropic' ? 529 : 503);
    case 'unavailable':
      return failure(provider, 503);
    case 'server_error':
      return failure(provider, 500);
    case 'bad_gateway':
      return failure(provider, 502);
    case 'unauthorized':
      return failure(provider, 401);
    case 'bad_request':
      return failure(provider, 400);
    case 'context_length':
      return failure(provider, 400, 'context_length_exceeded');
    case 'rate_limited': {
      const headers: Record<string, string> = {};
      if (behaviour.retryAfterSeconds !== undefined)
        headers['retry-after'] = String(behaviour.retryAfterSeconds);
      if (behaviour.retryAfterMs !== undefined)
        headers['retry-after-ms'] = String(behaviour.retryAfterMs);
      return { ...failure(provider, 429), headers };
    }
    case 'hang':
    case 'reset':
      throw new Error(`${behaviour.fault} is handled before answering`);
    case 'stream_cut':
    case 'stream_reset':
    case 'stream_stall':
      // Without streaming these behave like a normal answer.
      return success(call, document, 'complete', promptTokens, value);
  }
}

type Ending = 'complete' | 'truncated';

function success(
  call: ParsedCall,
  text: string,
  ending: Ending,
  promptTokens: number,
  toolInput?: unknown,
  forceText = false,
): Answer {
  const outputTokens = estimateTokens(text);
  switch (call.provider) {
    case 'openai':
      return {
        status: 200,
        body: {
          id: `chatcmpl-${randomUUID()}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: call.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: text, refusal: null },
              finish_reason: ending === 'truncated' ? 'length' : 'stop',
            },
          ],
          usage: {
            prompt_tokens: promptTokens,
            completion_tokens: outputTokens,
            total_tokens: promptTokens + outputTokens,
          },
        },
      };
    case 'anthropic': {
      const forcedTool = (call.body.tool_choice as { type?: string; name?: string } | undefined)
        ?.name;
      const useTool =
        forcedTool !== undefined && toolInput !== undefined && ending === 'complete' && !forceText;
      return {
        status: 200,
        body: {
          id: `msg_${randomUUID()}`,
          type: 'message',
          role: 'assistant',
          model: call.model,
          content: useTool
            ? [
                {
                  type: 'tool_use',
                  id: `toolu_${randomUUID()}`,
                  name: forcedTool,
                  input: toolInput,
                },
              ]
            : [{ type: 'text', text }],
          stop_reason: ending === 'truncated' ? 'max_tokens' : useTool ? 'tool_use' : 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: promptTokens, output_tokens: outputTokens },
        },
      };
    }
    case 'gemini':
      return {
        status: 200,
        body: {
          candidates: [
            {
              content: { role: 'model', parts: [{ text }] },
              finishReason: ending === 'truncated' ? 'MAX_TOKENS' : 'STOP',
              index: 0,
            },
          ],
          usageMetadata: {
            promptTokenCount: promptTokens,
            candidatesTokenCount: outputTokens,
            totalTokenCount: promptTokens + outputTokens,
          },
          modelVersion: call.model,
        },
      };
  }
}

function blocked(call: ParsedCall, promptTokens: number): Answer {
  switch (call.provider) {
    case 'openai':
      return {
        status: 200,
        body: {
          id: `chatcmpl-${randomUUID()}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: call.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: null, refusal: 'I cannot help with that.' },
              finish_reason: 'content_filter',
            },
          ],
          usage: { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens },
        },
      };
    case 'anthropic':
      return {
        status: 200,
        body: {
          id: `msg_${randomUUID()}`,
          type: 'message',
          role: 'assistant',
          model: call.model,
          content: [],
          stop_reason: 'refusal',
          stop_sequence: null,
          usage: { input_tokens: promptTokens, output_tokens: 0 },
        },
      };
    case 'gemini':
      return {
        status: 200,
        body: {
          promptFeedback: { blockReason: 'SAFETY' },
          usageMetadata: { promptTokenCount: promptTokens, totalTokenCount: promptTokens },
        },
      };
  }
}

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'api_error',
  529: 'overloaded_error',
};

const GEMINI_STATUSES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'INTERNAL',
  503: 'UNAVAILABLE',
};

function failure(provider: SimulatedProvider, status: number, code?: string): Answer {
  const message = `simulated ${status}`;
  switch (provider) {
    case 'openai':
      return {
        status,
        body: {
          error: {
            message,
            type: status >= 500 ? 'server_error' : 'invalid_request_error',
            param: null,
            code: code ?? null,
          },
        },
      };
    case 'anthropic':
      return {
        status,
        body: {
          type: 'error',
          error: { type: ANTHROPIC_ERROR_TYPES[status] ?? 'api_error', message },
        },
      };
    case 'gemini':
      return {
        status,
        body: { error: { code: status, message, status: GEMINI_STATUSES[status] ?? 'UNKNOWN' } },
      };
  }
}
