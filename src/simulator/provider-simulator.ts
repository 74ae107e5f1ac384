import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import {
  afterThinking,
  answerFor,
  answerValue,
  estimateTokens,
  plainAnswer,
  promptTokensOf,
  PROSE,
  SCHEMA_VIOLATION,
  StructuredAnswerSource,
} from './answers';
import { endsWithPrefill, rejectsPrefill } from './continuation';
import {
  Answer,
  Dialect,
  JsonObject,
  ParsedCall,
  SimulatedProvider,
  StreamEnding,
} from './dialect';
import { anthropicDialect } from './dialects/anthropic';
import { geminiDialect } from './dialects/gemini';
import { openAiDialect } from './dialects/openai';
import {
  Behaviour,
  Fault,
  FaultScript,
  ResolvedBehaviour,
  STREAMED_FAULTS,
  toBehaviour,
} from './fault-script';
import { splitIntoChunks } from './streaming';
import { plannedToolCall, toolResultOf } from './tools';

export type { Behaviour, Fault } from './fault-script';

export type { StructuredAnswerSource } from './answers';

export interface SimulatorOptions {
  /** Added to every answer (simulated model latency). */
  latencyMs?: number;
  structuredAnswers?: readonly StructuredAnswerSource[];
}
export type { SimulatedProvider } from './dialect';

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
  /** The output limit the request set (thinking models spend their thoughts out of it). */
  outputLimit: number | undefined;
  /** Thought tokens the simulated model spent before answering (0 for a model that does not think). */
  thoughts: number;
  /** The model rejected the request's assistant prefill (a 400). */
  prefillRejected?: boolean;
  /** The function the model called, when it answered with a tool call. */
  toolCall?: string;
  /** The tool result the request carried (its last turn), as the provider's wire format delivered it. */
  toolResult?: string;
}

const DIALECTS: readonly Dialect[] = [openAiDialect, anthropicDialect, geminiDialect];

/**
 * A local stand-in for the OpenAI, Anthropic and Gemini HTTP APIs on their real paths, scriptable per route
 * (`provider:model`). Each wire format is a dialect in `dialects/`; this class is the server, the fault script and
 * the attempt log. Serves the e2e tests, the zero-key default, the benchmarks, and `npm run simulator`.
 */
export class ProviderSimulator {
  /** Added to every answer (simulated model latency). */
  latencyMs = 0;
  /** Pause between streamed events. */
  streamGapMs = 0;
  readonly attempts: SimulatedAttempt[] = [];
  private readonly faults = new FaultScript();
  private readonly sockets = new Set<Socket>();
  private readonly healTimers = new Set<NodeJS.Timeout>();
  private readonly startedAt = performance.now();
  private server: Server | undefined;
  private seq = 0;

  private readonly structuredAnswers: readonly StructuredAnswerSource[];

  constructor(options: SimulatorOptions = {}) {
    this.latencyMs = options.latencyMs ?? 0;
    this.structuredAnswers = options.structuredAnswers ?? [];
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
    for (const timer of this.healTimers) clearTimeout(timer);
    this.healTimers.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Queues one-shot behaviours for a route (`gemini:gemini-2.5-flash`), used in order by its next attempts. */
  script(route: string, ...behaviours: Array<Fault | Behaviour>): this {
    this.faults.script(route, behaviours.map(toBehaviour));
    return this;
  }

  /** What a route does once its queue is empty (default: answer correctly). */
  always(route: string, behaviour: Fault | Behaviour): this {
    this.faults.always(route, toBehaviour(behaviour));
    return this;
  }

  /**
   * An outage that heals by itself: the route answers with `fault` from now, and with `healed` (a correct answer by
   * default) once `healAfterMs` have passed.
   */
  outage(
    route: string,
    fault: Fault | Behaviour,
    healAfterMs: number,
    healed: Fault | Behaviour = 'ok',
  ): this {
    this.always(route, fault);
    const timer = setTimeout(() => {
      this.healTimers.delete(timer);
      this.always(route, healed);
    }, healAfterMs);
    timer.unref();
    this.healTimers.add(timer);
    return this;
  }

  /** Forgets scripts, defaults and recorded attempts. */
  reset(): void {
    for (const timer of this.healTimers) clearTimeout(timer);
    this.healTimers.clear();
    this.faults.clear();
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

    const parsed = parseCall(request.method ?? 'GET', url.pathname, raw);
    if (!parsed) return send(response, { status: 404, body: { error: { message: 'not found' } } });
    const { call, dialect } = parsed;
    const route = `${call.provider}:${call.model}`;
    const behaviour = this.faults.next(route);
    const schema = dialect.schemaOf(call.body);
    const attempt: SimulatedAttempt = {
      seq: ++this.seq,
      route,
      provider: call.provider,
      model: call.model,
      at: Math.round(performance.now() - this.startedAt),
      fault: behaviour.fault,
      status: undefined,
      hasSchema: schema !== undefined,
      outputLimit: dialect.thinking(call).limit,
      thoughts: dialect.thinking(call).thoughts,
    };
    this.attempts.push(attempt);
    attempt.toolResult = toolResultOf(call);

    if (behaviour.fault === 'hang') return; // never answered; the socket is destroyed at stop()
    if (rejectsPrefill(call) && endsWithPrefill(call)) {
      // What newer Claude models answer to a request that ends with an assistant turn.
      const rejected = dialect.failure(400);
      attempt.status = rejected.status;
      attempt.prefillRejected = true;
      return send(response, rejected);
    }
    const firstTokenDelay = behaviour.fault === 'slow_first_token';
    const delay = this.latencyMs + (firstTokenDelay ? 0 : (behaviour.delayMs ?? 0));
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (behaviour.fault === 'reset') {
      request.socket.destroy();
      return;
    }
    // A model offered tools calls one (when allowed and not already answered by a tool result).
    const toolCall = behaviour.fault === 'ok' ? plannedToolCall(call) : undefined;
    if (toolCall && !(call.provider === 'anthropic' && schema !== undefined)) {
      attempt.status = 200;
      attempt.toolCall = toolCall.name;
      const promptTokens = promptTokensOf(call);
      if (!call.stream) return send(response, dialect.toolCall(call, toolCall, promptTokens));
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const payload of dialect.toolCallFrames(call, toolCall, promptTokens))
        response.write(payload);
      response.end();
      return;
    }
    if (call.stream && STREAMED_FAULTS.has(behaviour.fault)) {
      attempt.status = 200;
      return this.streamAnswer(dialect, call, behaviour, schema, request, response);
    }
    const answer = answerFor(dialect, call, behaviour, schema, this.structuredAnswers);
    attempt.status = answer.status;
    send(response, answer);
  }

  /** Writes a streamed answer as server-sent events; stream faults cut, reset or stall it part-way. */
  private async streamAnswer(
    dialect: Dialect,
    call: ParsedCall,
    behaviour: ResolvedBehaviour,
    schema: JsonObject | undefined,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const fault = behaviour.fault;
    const value =
      fault === 'schema_violation'
        ? SCHEMA_VIOLATION
        : answerValue(dialect, call, behaviour, schema, this.structuredAnswers);
    const document = value === undefined ? plainAnswer(call, behaviour) : JSON.stringify(value);
    const spent = afterThinking(dialect, call, document);
    const text =
      fault === 'prose'
        ? PROSE
        : fault === 'truncated' || fault === 'continuation'
          ? document.slice(0, Math.ceil(document.length / 2))
          : spent.text;
    const chunks = splitIntoChunks(text);
    const cut = fault === 'stream_cut' || fault === 'stream_reset';
    const ending: StreamEnding =
      fault === 'truncated' || fault === 'continuation'
        ? fault
        : spent.ending === 'truncated' && fault !== 'prose' && fault !== 'blocked'
          ? 'truncated'
          : fault === 'blocked'
            ? 'blocked'
            : cut
              ? 'no_end_marker'
              : 'complete';
    const frames = dialect.streamFrames({
      call,
      chunks: cut ? chunks.slice(0, Math.ceil(chunks.length / 2)) : chunks,
      ending,
      promptTokens: promptTokensOf(call),
      outputTokens: estimateTokens(text) + spent.thoughts,
      asTool: schema !== undefined && fault !== 'prose',
    });
    if (fault === 'stream_no_done' && frames.at(-1) === 'data: [DONE]\n\n') frames.pop();
    if (fault === 'stream_malformed')
      frames.splice(Math.ceil(frames.length / 2), 0, 'data: {"choices": [{"delta": \n\n');
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (fault === 'slow_first_token') {
      response.flushHeaders();
      await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs ?? 20_000));
    }
    const gapMs = this.streamGapMs;
    for (const [position, payload] of frames.entries()) {
      if (response.destroyed) return;
      response.write(payload);
      if (fault === 'stream_stall' && position === 1) return; // never finishes; destroyed at stop()
      if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    if (fault === 'stream_reset') {
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

function parseCall(
  method: string,
  path: string,
  raw: string,
): { call: ParsedCall; dialect: Dialect } | undefined {
  if (method !== 'POST') return undefined;
  let body: JsonObject;
  try {
    body = JSON.parse(raw) as JsonObject;
  } catch {
    return undefined;
  }
  for (const dialect of DIALECTS) {
    const route = dialect.route(path, body);
    if (route) return { call: { provider: dialect.provider, body, ...route }, dialect };
  }
  return undefined;
}
