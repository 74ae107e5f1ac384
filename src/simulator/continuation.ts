import { JsonObject, ParsedCall, textOf } from './dialect';

/** One turn of the conversation a request carries, whatever the wire format. */
interface Turn {
  role: 'user' | 'assistant';
  text: string;
}

/** The user and assistant turns of a request: `messages` (OpenAI, Anthropic) or `contents` (Gemini). */
export function turnsOf(body: JsonObject): Turn[] {
  const list = Array.isArray(body.messages)
    ? (body.messages as JsonObject[])
    : Array.isArray(body.contents)
      ? (body.contents as JsonObject[])
      : [];
  return list.flatMap((entry): Turn[] => {
    const role = entry.role === 'assistant' || entry.role === 'model' ? 'assistant' : entry.role;
    if (role !== 'user' && role !== 'assistant') return [];
    return [{ role, text: textOf(entry.content ?? entry.parts) }];
  });
}

/**
 * Models that reject an assistant prefill (a request ending with an assistant turn) with a 400, as newer Claude
 * models do (Sonnet 4.6, Opus 4.6 and later), and any model whose name says so (for scripted scenarios).
 */
export function rejectsPrefill(call: ParsedCall): boolean {
  if (/noprefill/.test(call.model)) return true;
  if (call.provider !== 'anthropic') return false;
  const version = /claude-(?:opus|sonnet)-(\d+)-(\d+)/.exec(call.model);
  return version !== null && Number(version[1]) * 100 + Number(version[2]) >= 406;
}

export function endsWithPrefill(call: ParsedCall): boolean {
  const turns = turnsOf(call.body);
  return turns.length > 0 && turns[turns.length - 1].role === 'assistant';
}

/** A model told to continue often repeats its last few words first; the service must not show them twice. */
const REPEATED_ON_INSTRUCTION = 12;

/**
 * What a model answers when the conversation asks it to continue a partial answer of `full`: after a prefill, the
 * rest exactly; after an instruction (the partial answer as an assistant turn, then a user turn), the rest with its
 * last few words repeated. Anything else (not a continuation of `full`) gets `full`.
 */
export function continuationOf(call: ParsedCall, full: string): string {
  const turns = turnsOf(call.body);
  const last = turns[turns.length - 1];
  if (last?.role === 'assistant') {
    const partial = last.text;
    return partial.length > 0 && full.startsWith(partial.trimEnd())
      ? full.slice(partial.trimEnd().length)
      : full;
  }
  const previous = turns[turns.length - 2];
  if (last?.role === 'user' && previous?.role === 'assistant' && previous.text.length > 0) {
    const partial = previous.text;
    if (full.startsWith(partial))
      return full.slice(Math.max(0, partial.length - REPEATED_ON_INSTRUCTION));
  }
  return full;
}

/** Whether the request asks to continue a partial answer (a final assistant turn, or one followed by a user turn). */
export function isContinuation(call: ParsedCall): boolean {
  const turns = turnsOf(call.body);
  const last = turns[turns.length - 1];
  const previous = turns[turns.length - 2];
  return (
    last?.role === 'assistant' ||
    (last?.role === 'user' && previous?.role === 'assistant' && previous.text.length > 0)
  );
}

/** The same answer in other words: its first sentence turned around (the words kept, their order not). */
export function reworded(text: string): string {
  const end = text.search(/[.!?](\s|$)/);
  const sentence = end < 0 ? text : text.slice(0, end);
  const rest = end < 0 ? '' : text.slice(end);
  const words = sentence.split(/\s+/).filter((word) => word.length > 0);
  if (words.length < 2) return text;
  const turned = [
    ...words.slice(Math.ceil(words.length / 2)),
    ...words.slice(0, Math.ceil(words.length / 2)),
  ];
  const first = turned[0];
  return `${first.charAt(0).toUpperCase()}${first.slice(1)} ${turned.slice(1).join(' ').toLowerCase()}${rest}`;
}
