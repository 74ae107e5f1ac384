import { ProviderError } from '../llm.errors';
import { AnthropicProvider } from '../providers/anthropic.provider';
import { GeminiProvider } from '../providers/gemini.provider';
import { OpenAiProvider } from '../providers/openai.provider';
import {
  CONTINUE_INSTRUCTION,
  continuable,
  continuationRequest,
  judgeContinuation,
  PrefillMemory,
  Stitcher,
} from './continuation';

const route = { provider: 'gemini' as const, model: 'm' };
const settings = {
  keys: [],
  baseUrl: undefined,
  attemptTimeoutMs: 1_000,
  streamMaxDurationMs: 1_000,
  thinking: { default: 'off' as const, routes: {} },
};

/** Feeds `continuation` to a stitcher in chunks of `size` characters; what the caller would be sent. */
function stitch(partial: string, continuation: string, size = 7) {
  const stitcher = new Stitcher(partial);
  let sent = '';
  for (let at = 0; at < continuation.length; at += size)
    sent += stitcher.add(continuation.slice(at, at + size));
  sent += stitcher.finish();
  return { sent, outcome: stitcher.outcome };
}

const PARTIAL =
  'The capital of France is Paris. It has been the seat of government since the tenth century, and today it ';
const REST =
  'holds about two million people within the city limits and over twelve million in the region.';

describe('stream continuation', () => {
  it.each([
    ['a clean continuation passes through', PARTIAL, REST, 'clean', REST],
    ['a repeat of the last words is dropped', PARTIAL, `and today it ${REST}`, 'overlap', REST],
    [
      'a restart is dropped however long the partial answer',
      PARTIAL.repeat(8),
      PARTIAL.repeat(8) + REST,
      'restart',
      REST,
    ],
    [
      'a restart that diverges from the partial answer is refused',
      PARTIAL,
      'The capital of France is Paris, a city on the Seine with about two million people and many museums.',
      'refused',
      '',
    ],
    [
      'a restart in other words is refused',
      PARTIAL,
      'Paris is the capital of France. The seat of government has been there since the tenth century, and it holds millions.',
      'refused',
      '',
    ],
  ])('%s', (_name, partial, continuation, outcome, sent) => {
    expect(stitch(partial, continuation)).toEqual({ outcome, sent });
  });

  it('one or a few shared characters are chance, not a repeat', () => {
    expect(judgeContinuation('ends with a', 'a new word that follows', true)).toEqual({
      decided: true,
      outcome: 'clean',
      drop: 0,
    });
  });

  it('holds a possible restart back until it is decided', () => {
    expect(judgeContinuation(PARTIAL, PARTIAL.slice(0, 40), false)).toEqual({ decided: false });
    expect(judgeContinuation(PARTIAL, PARTIAL + 'x', false)).toMatchObject({ outcome: 'restart' });
  });

  it('continuationRequest: a prefill ends with the partial answer (no trailing space); an instruction follows it', () => {
    const request = {
      messages: [{ role: 'user' as const, content: 'Q' }],
      responseFormat: { type: 'json_object' as const },
    };
    const prefill = continuationRequest(request, 'Half an answer ', 'prefill');
    expect(prefill.messages.at(-1)).toEqual({ role: 'assistant', content: 'Half an answer' });
    expect(prefill.responseFormat).toEqual({ type: 'text' });
    const instruction = continuationRequest(request, 'Half an answer ', 'instruction');
    expect(instruction.messages.slice(1)).toEqual([
      { role: 'assistant', content: 'Half an answer ' },
      { role: 'user', content: CONTINUE_INSTRUCTION },
    ]);
  });

  it('prefill: Gemini and older Claude yes, OpenAI and Claude Sonnet/Opus 4.6+ no; a rejection is remembered', () => {
    const memory = new PrefillMemory();
    const gemini = new GeminiProvider(settings);
    const anthropic = new AnthropicProvider(settings);
    const openai = new OpenAiProvider(settings);
    expect(memory.accepts(gemini, { provider: 'gemini', model: 'gemini-2.5-flash' })).toBe(true);
    expect(memory.accepts(openai, { provider: 'openai', model: 'gpt-4o-mini' })).toBe(false);
    const claude = (model: string) => memory.accepts(anthropic, { provider: 'anthropic', model });
    expect(claude('claude-haiku-4-5-20251001')).toBe(true);
    expect(claude('claude-sonnet-4-5')).toBe(true);
    expect(claude('claude-sonnet-4-6')).toBe(false);
    expect(claude('claude-opus-4-7')).toBe(false);
    memory.rejected({ provider: 'gemini', model: 'gemini-2.5-flash' });
    expect(memory.accepts(gemini, { provider: 'gemini', model: 'gemini-2.5-flash' })).toBe(false);
  });

  it('continuable: route failures yes; the request’s own failures and a length finish no', () => {
    const error = (kind: ConstructorParameters<typeof ProviderError>[1]) =>
      new ProviderError(route, kind);
    expect(continuable(error({ kind: 'network' }))).toBe(true);
    expect(continuable(error({ kind: 'timeout' }))).toBe(true);
    expect(continuable(error({ kind: 'overloaded' }))).toBe(true);
    expect(continuable(error({ kind: 'truncated', cutShort: true }))).toBe(true);
    expect(continuable(error({ kind: 'truncated' }))).toBe(false);
    expect(continuable(error({ kind: 'content_blocked' }))).toBe(false);
    expect(continuable(error({ kind: 'bad_request' }))).toBe(false);
  });
});
