import { ProviderError } from '../llm.errors';
import {
  CONTINUE_INSTRUCTION,
  continuable,
  continuationRequest,
  PrefillSupport,
  trimOverlap,
} from './stream-continuation';

const route = { provider: 'gemini' as const, model: 'm' };

describe('stream continuation', () => {
  it('trimOverlap drops the repeated end of the partial answer, and only a real overlap', () => {
    expect(trimOverlap('The quick brown fox', 'brown fox jumps')).toBe(' jumps');
    expect(trimOverlap('The quick brown fox', ' jumps over')).toBe(' jumps over');
    // One or a few shared characters are a coincidence, not a repeat.
    expect(trimOverlap('ends with a', 'a new word')).toBe('a new word');
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

  it('PrefillSupport: Gemini and older Claude yes, OpenAI and Claude Sonnet/Opus 4.6+ no; a rejection is remembered', () => {
    const support = new PrefillSupport();
    const accepts = (provider: 'openai' | 'anthropic' | 'gemini', model: string) =>
      support.accepts({ provider, model });
    expect(accepts('gemini', 'gemini-2.5-flash')).toBe(true);
    expect(accepts('openai', 'gpt-4o-mini')).toBe(false);
    expect(accepts('anthropic', 'claude-haiku-4-5-20251001')).toBe(true);
    expect(accepts('anthropic', 'claude-sonnet-4-5')).toBe(true);
    expect(accepts('anthropic', 'claude-sonnet-4-6')).toBe(false);
    expect(accepts('anthropic', 'claude-opus-4-7')).toBe(false);
    support.rejected({ provider: 'gemini', model: 'gemini-2.5-flash' });
    expect(accepts('gemini', 'gemini-2.5-flash')).toBe(false);
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
