import { continuationOf, isContinuation, reworded } from './continuation';
import { Answer, Dialect, JsonObject, ParsedCall, StreamEnding, textOf } from './dialect';
import { Behaviour, ResolvedBehaviour } from './fault-script';
import { sampleFromSchema } from './sample-from-schema';
import { splitIntoChunks } from './streaming';
import { toolResultOf } from './tools';

/**
 * A source of well-formed structured answers the simulator tries before it samples one from the schema: it gets the
 * prompt's text and the schema and answers a value, or undefined when the request is not one it knows. The
 * application plugs in its own (the lesson fixture answers lesson prompts); the simulator knows none of them.
 */
export type StructuredAnswerSource = (promptText: string, schema: JsonObject) => unknown;

/** Valid JSON that matches no schema the service uses. */
export const SCHEMA_VIOLATION = { unexpected: 'shape', items: 3 };

export const PROSE =
  'Sure! Here is what you asked for: a thoughtful overview, written as a friendly paragraph rather than data.';

export const estimateTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/** The prompt a request bills: its body less the transport's own switches (a streamed call reads the same prompt). */
export function promptTokensOf(call: ParsedCall): number {
  const prompt = { ...call.body };
  delete prompt.stream;
  delete prompt.stream_options;
  return estimateTokens(JSON.stringify(prompt));
}

/**
 * The default plain answer names its route (and, after a tool call, the result it was given); a scripted `text` is
 * used as given, continued where asked to.
 */
export const plainAnswer = (call: ParsedCall, behaviour: Behaviour) => {
  if (behaviour.text !== undefined) {
    // Models told to continue sometimes start again: the whole answer, or the whole answer in other words.
    if (behaviour.fault === 'restart') return behaviour.text;
    if (behaviour.fault === 'paraphrase')
      return isContinuation(call) ? reworded(behaviour.text) : behaviour.text;
    return continuationOf(call, behaviour.text);
  }
  const result = toolResultOf(call);
  return result === undefined
    ? `Simulated answer from ${call.endpoint ?? call.provider}/${call.model}.`
    : `Simulated answer from ${call.endpoint ?? call.provider}/${call.model}, given the tool result ${result}`;
};

/**
 * The value a correct answer carries: scripted, from a structured-answer source that knows the prompt, sampled from
 * the schema, JSON mode, or none.
 */
export function answerValue(
  dialect: Dialect,
  call: ParsedCall,
  behaviour: Behaviour,
  schema: JsonObject | undefined,
  sources: readonly StructuredAnswerSource[],
): unknown {
  if (behaviour.json !== undefined) return behaviour.json;
  if (schema) {
    const prompt = textOf(call.body);
    for (const source of sources) {
      const value = source(prompt, schema);
      if (value !== undefined) return value;
    }
    return sampleFromSchema(schema);
  }
  return dialect.wantsJsonObject(call.body) ? { answer: plainAnswer(call, behaviour) } : undefined;
}

/**
 * A thinking model spends its thought tokens out of the output limit before it answers: with too small a limit the
 * answer is cut (a length finish), or never starts (an empty one), as Gemini 2.5/3 and reasoning models do.
 */
export function afterThinking(
  dialect: Dialect,
  call: ParsedCall,
  text: string,
): { text: string; ending: 'complete' | 'truncated'; thoughts: number } {
  const { thoughts, limit } = dialect.thinking(call);
  if (limit === undefined) return { text, ending: 'complete', thoughts };
  const room = limit - thoughts;
  if (room <= 0) return { text: '', ending: 'truncated', thoughts: limit };
  if (estimateTokens(text) > room)
    return { text: text.slice(0, room * 4), ending: 'truncated', thoughts };
  return { text, ending: 'complete', thoughts };
}

export function answerFor(
  dialect: Dialect,
  call: ParsedCall,
  behaviour: ResolvedBehaviour,
  schema: JsonObject | undefined,
  sources: readonly StructuredAnswerSource[],
): Answer {
  const promptTokens = promptTokensOf(call);
  const value = answerValue(dialect, call, behaviour, schema, sources);
  const document = value === undefined ? plainAnswer(call, behaviour) : JSON.stringify(value);
  switch (behaviour.fault) {
    // Without streaming, the stream faults behave like a normal answer.
    case 'ok':
    case 'restart':
    case 'paraphrase':
    case 'slow':
    case 'stream_cut':
    case 'stream_reset':
    case 'stream_stall':
    case 'stream_malformed':
    case 'slow_first_token':
    case 'stream_no_done': {
      const spent = afterThinking(dialect, call, document);
      return spent.ending === 'complete'
        ? dialect.answer(call, document, 'complete', promptTokens, value, spent.thoughts)
        : dialect.answer(call, spent.text, 'truncated', promptTokens, undefined, spent.thoughts);
    }
    case 'truncated':
    case 'continuation':
      return dialect.answer(
        call,
        document.slice(0, Math.max(1, Math.floor(document.length / 2))),
        behaviour.fault,
        promptTokens,
      );
    case 'prose':
      return dialect.answer(call, PROSE, 'complete', promptTokens);
    case 'schema_violation':
      return dialect.answer(
        call,
        JSON.stringify(SCHEMA_VIOLATION),
        'complete',
        promptTokens,
        SCHEMA_VIOLATION,
      );
    case 'blocked':
      return dialect.blocked(call, promptTokens);
    case 'overloaded':
      return dialect.failure(dialect.overloadedStatus);
    case 'unavailable':
      return dialect.failure(503);
    case 'server_error':
      return dialect.failure(500);
    case 'bad_gateway':
      return dialect.failure(502);
    case 'unauthorized':
      return dialect.failure(401);
    case 'invalid_key':
      return dialect.invalidKey();
    case 'content_policy':
      return dialect.contentPolicy(call, promptTokens);
    case 'bad_request':
      return dialect.failure(400);
    case 'context_length':
      return dialect.failure(400, 'context_length_exceeded');
    case 'rate_limited': {
      const headers: Record<string, string> = {};
      if (behaviour.retryAfterSeconds !== undefined)
        headers['retry-after'] = String(behaviour.retryAfterSeconds);
      if (behaviour.retryAfterMs !== undefined)
        headers['retry-after-ms'] = String(behaviour.retryAfterMs);
      return { ...dialect.failure(429), headers };
    }
    case 'hang':
    case 'reset':
      throw new Error(`${behaviour.fault} is handled before answering`);
  }
}

/**
 * The server-sent events of a streamed answer, as the route's dialect writes them: the answer in small deltas and
 * its end, or what a stream fault makes of them (cut, no end marker, no [DONE], a malformed event).
 */
export function streamedFrames(
  dialect: Dialect,
  call: ParsedCall,
  behaviour: ResolvedBehaviour,
  schema: JsonObject | undefined,
  sources: readonly StructuredAnswerSource[],
): string[] {
  const fault = behaviour.fault;
  const value =
    fault === 'schema_violation'
      ? SCHEMA_VIOLATION
      : answerValue(dialect, call, behaviour, schema, sources);
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
  return frames;
}
