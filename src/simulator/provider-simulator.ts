import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import {
  answerFor,
  estimateTokens,
  promptTokensOf,
  streamedFrames,
  StructuredAnswerSource,
} from './answers';
import { endsWithPrefill, rejectsPrefill } from './continuation';
import { control } from './control';
import { Answer, Dialect, JsonObject, ParsedCall, SimulatedProvider } from './dialect';
import { EndpointLacks, LackableCapability, parseCall } from './endpoints';
import {
  Behaviour,
  Fault,
  FaultScript,
  ResolvedBehaviour,
  STREAMED_FAULTS,
  resolveMix,
  toBehaviour,
} from './fault-script';
import { readBody, send } from './http-io';
import { KeyQuotas, keyOf } from './key-quotas';
import { PromptCache } from './prompt-cache';
import { UnsampleableSchemaError } from './sample-from-schema';
import { plannedToolCall, toolResultOf } from './tools';

export type { Behaviour, Fault } from './fault-script';

export type { StructuredAnswerSource } from './answers';

export interface SimulatorOptions {
  /** Added to every answer (simulated model latency). */
  latencyMs?: number;
  structuredAnswers?: readonly StructuredAnswerSource[];
  /**
   * Whether the control API (`/__simulator/*`: scripts, the attempt log) is served. On for a simulator of its own
   * (tests, benchmarks, `npm run simulator`); the embedded one serves it only when SIMULATOR_CONTROL=true.
   */
  control?: boolean;
  /**
   * The shortest prefix the simulated prompt caches keep, in tokens: 1,024 as OpenAI's and Gemini's (Anthropic's
   * smallest); a test may lower it to show caching on short prompts.
   */
  promptCacheMinTokens?: number;
}

/** Attempts the log keeps (the oldest go first); the per-route counts keep counting. */
const ATTEMPT_LOG_SIZE = 2_000;
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
  /** The API key the request carried (the simulator's own log; tests compare it with their fake keys). */
  apiKey?: string;
  /** Whether the request carried a JSON Schema: for native structured output, or as an instruction. */
  hasSchema: boolean;
  /** The output limit the request set (thinking models spend their thoughts out of it). */
  outputLimit: number | undefined;
  /** Thought tokens the simulated model spent before answering (0 for a model that does not think). */
  thoughts: number;
  /** The model rejected the request's assistant prefill (a 400). */
  prefillRejected?: boolean;
  /** The function the model called, when it answered with a tool call. */
  toolCall?: string;
  /** The length of the tool result the request carried (its last turn): the log keeps lengths, never contents. */
  toolResultLength?: number;
}

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
  /** Prompt prefixes seen lately: a repeat is reported as cached input, in each provider's format. */
  private readonly promptCache: PromptCache;
  private readonly faults = new FaultScript();
  private readonly keys = new KeyQuotas();
  private readonly lacking = new EndpointLacks();
  private readonly sockets = new Set<Socket>();
  private readonly healTimers = new Set<NodeJS.Timeout>();
  private readonly startedAt = performance.now();
  private server: Server | undefined;
  private seq = 0;
  private readonly counts = new Map<string, number>();
  private readonly structuredAnswers: readonly StructuredAnswerSource[];
  private readonly controlled: boolean;

  constructor(options: SimulatorOptions = {}) {
    this.latencyMs = options.latencyMs ?? 0;
    this.structuredAnswers = options.structuredAnswers ?? [];
    this.controlled = options.control ?? true;
    this.promptCache = new PromptCache(options.promptCacheMinTokens);
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((request, response) => {
      // Whatever goes wrong with one request is that request's 500, never the process's end.
      this.handle(request, response).catch(() => {
        if (!response.headersSent)
          send(response, { status: 500, body: { error: { message: 'simulator error' } } });
        else response.destroy();
      });
    });
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

  /** The base URL of a named OpenAI-compatible endpoint (`azure`): OpenAI's API, its routes scripted as `azure:…`. */
  endpointUrl(name: string): string {
    return `${this.url}/endpoints/${name}/v1`;
  }

  /**
   * What the endpoint `name` does not support, as a server without it answers: a 400 to a request using JSON Schema
   * output (`json_schema`), JSON mode (`json_object`) or function calling (`tools`).
   */
  endpointLacks(name: string, ...capabilities: LackableCapability[]): this {
    this.lacking.set(name, capabilities);
    return this;
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

  /** What every request carrying `apiKey` gets, whatever its route (a 429 or a revoked key on one key). */
  keyFault(apiKey: string, behaviour: Fault | Behaviour): this {
    this.keys.fault(apiKey, resolveMix(toBehaviour(behaviour)));
    return this;
  }

  /** `apiKey` may make `limit` requests per `windowMs`; answers carry its rate-limit headers, and past it a 429. */
  keyQuota(apiKey: string, limit: number, windowMs: number): this {
    this.keys.quota(apiKey, limit, windowMs);
    return this;
  }

  /** Forgets scripts, defaults and recorded attempts. */
  reset(): void {
    for (const timer of this.healTimers) clearTimeout(timer);
    this.healTimers.clear();
    this.faults.clear();
    this.keys.clear();
    this.lacking.clear();
    this.attempts.length = 0;
    this.counts.clear();
    this.promptCache.clear();
    this.latencyMs = 0;
    this.streamGapMs = 0;
  }

  /** The attempt log (the last ATTEMPT_LOG_SIZE attempts), for the control API. */
  attemptLog(): SimulatedAttempt[] {
    return this.attempts;
  }

  /** Every attempt each route ever got (not bounded by the log). */
  attemptCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  countFor(route: string): number {
    return this.counts.get(route) ?? 0;
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
      if (!response.headersSent)
        send(response, { status: 413, body: { error: { message: 'request too large' } } });
      return;
    }
    const url = new URL(request.url ?? '/', 'http://simulator');
    if (url.pathname.startsWith('/__simulator')) {
      if (!this.controlled)
        return send(response, { status: 404, body: { error: { message: 'not found' } } });
      return send(response, control(this, request.method ?? 'GET', url.pathname, raw));
    }

    const parsed = parseCall(request.method ?? 'GET', url.pathname, raw);
    if (!parsed) return send(response, { status: 404, body: { error: { message: 'not found' } } });
    const { call, dialect } = parsed;
    call.cache = this.promptCache.use(call, estimateTokens);
    const route = `${call.endpoint ?? call.provider}:${call.model}`;
    const apiKey = keyOf(request.headers);
    const perKey = this.keys.use(call.provider, apiKey);
    for (const [name, value] of Object.entries(perKey.headers)) response.setHeader(name, value);
    const behaviour = perKey.behaviour ?? this.faults.next(route);
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
      ...(apiKey ? { apiKey } : {}),
      thoughts: dialect.thinking(call).thoughts,
    };
    this.record(attempt);
    attempt.toolResultLength = toolResultOf(call)?.length;

    if (behaviour.fault === 'hang') return; // never answered; the socket is destroyed at stop()
    if (this.lacking.refuses(call)) {
      const refused = dialect.failure(400);
      attempt.status = refused.status;
      return send(response, refused);
    }
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
    let toolCall: ReturnType<typeof plannedToolCall>;
    try {
      toolCall = behaviour.fault === 'ok' ? plannedToolCall(call) : undefined;
    } catch (error) {
      if (!(error instanceof UnsampleableSchemaError)) throw error;
      const refused = dialect.failure(400);
      attempt.status = refused.status;
      return send(response, refused);
    }
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
    let answer: Answer;
    try {
      answer = answerFor(dialect, call, behaviour, schema, this.structuredAnswers);
    } catch (error) {
      if (!(error instanceof UnsampleableSchemaError)) throw error;
      // A schema asking for more than can be sampled: the provider's own 400.
      answer = dialect.failure(400);
    }
    attempt.status = answer.status;
    send(response, answer);
  }

  private record(attempt: SimulatedAttempt): void {
    this.attempts.push(attempt);
    if (this.attempts.length > ATTEMPT_LOG_SIZE)
      this.attempts.splice(0, this.attempts.length - ATTEMPT_LOG_SIZE);
    this.counts.set(attempt.route, (this.counts.get(attempt.route) ?? 0) + 1);
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
    const frames = streamedFrames(dialect, call, behaviour, schema, this.structuredAnswers);
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
}
