/** What the simulator does with one request to a route. */
export type Fault =
  | 'ok'
  | 'overloaded' // 503; 529 for Anthropic
  | 'unavailable' // 503 for every provider
  | 'server_error' // 500
  | 'bad_gateway' // 502
  | 'rate_limited' // 429, with retryAfterSeconds / retryAfterMs when given
  | 'unauthorized' // 401
  | 'invalid_key' // the provider's rejected-key answer: 401, or Gemini's 400 INVALID_ARGUMENT + API_KEY_INVALID
  | 'content_policy' // OpenAI 400 content_policy_violation; Anthropic 200 stop_reason refusal; Gemini 200 blockReason
  | 'bad_request' // 400
  | 'context_length' // 400 with the provider's context-length signal
  | 'hang' // never answers
  | 'reset' // destroys the connection
  | 'truncated' // half a JSON document with the provider's length finish reason
  | 'continuation' // Gemini: half the answer, finishReason CONTINUATION and a continuation token (others: truncated)
  | 'prose' // a friendly paragraph instead of JSON
  | 'schema_violation' // valid JSON that breaks the schema
  | 'blocked' // OpenAI content_filter, Anthropic refusal, Gemini 200 + promptFeedback.blockReason
  | 'slow' // a valid answer after delayMs
  | 'stream_cut' // streams: half the deltas, then the response ends without the provider's end marker
  | 'stream_reset' // streams: half the deltas, then the connection is destroyed
  | 'stream_stall' // streams: the first delta, then silence
  | 'stream_malformed' // streams: a complete answer with one event in the middle that is not valid JSON
  | 'slow_first_token' // streams: headers at once, the first event after delayMs, then the rest
  | 'stream_no_done' // streams (OpenAI): a complete answer whose `data: [DONE]` sentinel never comes
  | 'restart' // asked to continue a partial answer, answers the whole answer again from its start
  | 'paraphrase'; // asked to continue a partial answer, answers it again from its start in other words

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
  /**
   * A plain-text answer instead of the default one. A request that continues a partial answer of this text (an
   * assistant prefill, or the partial answer followed by an instruction) gets the rest of it.
   */
  text?: string;
}

export type ResolvedBehaviour = Behaviour & { fault: Fault };

const FAULTS = new Set<string>([
  'ok',
  'overloaded',
  'unavailable',
  'server_error',
  'bad_gateway',
  'rate_limited',
  'unauthorized',
  'invalid_key',
  'content_policy',
  'bad_request',
  'context_length',
  'hang',
  'reset',
  'truncated',
  'continuation',
  'prose',
  'schema_violation',
  'blocked',
  'slow',
  'stream_cut',
  'stream_reset',
  'stream_stall',
  'stream_malformed',
  'slow_first_token',
  'stream_no_done',
  'restart',
  'paraphrase',
]);

/** A script sent to the control API that is not one the simulator plays: answered 400, never applied. */
export class InvalidScriptError extends Error {}

const LONGEST_DELAY_MS = 600_000;
const LONGEST_TEXT = 1_000_000;

/** A behaviour sent as JSON to the control API, checked field by field (a fault name or a Behaviour object). */
export function parseBehaviour(input: unknown, path = 'behaviour', depth = 0): Behaviour {
  if (typeof input === 'string') input = { fault: input };
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new InvalidScriptError(`${path} must be a fault name or an object`);
  const fields = input as Record<string, unknown>;
  const fault = fields.fault;
  if (fault !== 'mix' && (typeof fault !== 'string' || !FAULTS.has(fault)))
    throw new InvalidScriptError(`${path}.fault is not a fault the simulator knows`);
  const number = (name: string) => {
    const value = fields[name];
    if (value === undefined) return undefined;
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < 0 ||
      value > LONGEST_DELAY_MS
    )
      throw new InvalidScriptError(
        `${path}.${name} must be a number from 0 to ${LONGEST_DELAY_MS}`,
      );
    return value;
  };
  const text = fields.text;
  if (text !== undefined && (typeof text !== 'string' || text.length > LONGEST_TEXT))
    throw new InvalidScriptError(
      `${path}.text must be a string of at most ${LONGEST_TEXT} characters`,
    );
  let mix: Behaviour['mix'];
  if (fault === 'mix') {
    if (depth > 2 || !Array.isArray(fields.mix) || fields.mix.length > 20)
      throw new InvalidScriptError(`${path}.mix must be a list of at most 20 weighted behaviours`);
    mix = fields.mix.map((entry: unknown, index) => {
      const { weight, behaviour } = (entry ?? {}) as { weight?: unknown; behaviour?: unknown };
      if (typeof weight !== 'number' || !(weight >= 0 && weight <= 1))
        throw new InvalidScriptError(`${path}.mix[${index}].weight must be from 0 to 1`);
      return { weight, behaviour: parseBehaviour(behaviour, `${path}.mix[${index}]`, depth + 1) };
    });
  }
  return {
    fault: fault as Behaviour['fault'],
    ...(mix ? { mix } : {}),
    ...(number('retryAfterSeconds') === undefined
      ? {}
      : { retryAfterSeconds: number('retryAfterSeconds') }),
    ...(number('retryAfterMs') === undefined ? {} : { retryAfterMs: number('retryAfterMs') }),
    ...(number('delayMs') === undefined ? {} : { delayMs: number('delayMs') }),
    ...(fields.json === undefined ? {} : { json: fields.json }),
    ...(text === undefined ? {} : { text }),
  };
}

/** Faults a streamed request answers with a 200 event stream; the rest answer as they do without streaming. */
export const STREAMED_FAULTS = new Set<Fault>([
  'ok',
  'slow',
  'truncated',
  'continuation',
  'prose',
  'schema_violation',
  'blocked',
  'stream_cut',
  'stream_reset',
  'stream_stall',
  'stream_malformed',
  'slow_first_token',
  'stream_no_done',
  'restart',
  'paraphrase',
]);

export function toBehaviour(input: Fault | Behaviour): Behaviour {
  return typeof input === 'string' ? { fault: input } : input;
}

/** A `mix` behaviour resolved to one concrete behaviour (the weights need not add up to 1; the rest is `ok`). */
export function resolveMix(behaviour: Behaviour, random = Math.random): ResolvedBehaviour {
  if (behaviour.fault !== 'mix') return behaviour as ResolvedBehaviour;
  let roll = random();
  for (const { weight, behaviour: option } of behaviour.mix ?? []) {
    if (roll < weight) return resolveMix(option, random);
    roll -= weight;
  }
  return { fault: 'ok' };
}

/** Per-route scripts: one-shot behaviours used in order, then the route's default (answer correctly). */
export class FaultScript {
  private readonly queues = new Map<string, Behaviour[]>();
  private readonly defaults = new Map<string, Behaviour>();

  script(route: string, behaviours: Behaviour[]): void {
    this.queues.set(route, [...(this.queues.get(route) ?? []), ...behaviours]);
  }

  always(route: string, behaviour: Behaviour): void {
    this.defaults.set(route, behaviour);
  }

  next(route: string): ResolvedBehaviour {
    const chosen = this.queues.get(route)?.shift() ?? this.defaults.get(route) ?? { fault: 'ok' };
    return resolveMix(chosen);
  }

  clear(): void {
    this.queues.clear();
    this.defaults.clear();
  }
}
