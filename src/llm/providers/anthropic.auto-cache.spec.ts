import { ProviderRequest } from '../llm.types';
import { autoBreakpoint } from './anthropic.provider';

const request = (overrides: Partial<ProviderRequest>): ProviderRequest => ({
  model: 'claude-haiku-4-5',
  messages: [{ role: 'user', content: 'Hi' }],
  responseFormat: { type: 'text' },
  ...overrides,
});

describe('autoBreakpoint (LLM_AUTO_CACHE_MIN_TOKENS)', () => {
  const long = 'x'.repeat(8_000); // ~2,000 tokens

  it('marks the last system message of a long prefix; off, short or already marked leaves the request alone', () => {
    const withSystem = request({
      messages: [
        { role: 'system', content: long },
        { role: 'user', content: 'Hi' },
      ],
    });
    const marked = autoBreakpoint(withSystem, 1_024);
    expect(marked.request.messages.map((message) => message.cacheBreakpoint ?? false)).toEqual([
      true,
      false,
    ]);
    expect(marked.onTools).toBe(false);
    expect(autoBreakpoint(withSystem, undefined).request).toBe(withSystem);
    expect(autoBreakpoint(withSystem, 5_000).request).toBe(withSystem);
    const callerMarked = request({
      messages: [
        { role: 'system', content: long },
        { role: 'user', content: 'Hi', cacheBreakpoint: true },
      ],
    });
    expect(autoBreakpoint(callerMarked, 1_024).request).toBe(callerMarked);
  });

  it('puts the breakpoint on the tools when long tools come without a system prompt', () => {
    const tools = request({
      tools: [{ name: 'lookup', description: long, parameters: { type: 'object' } }],
    });
    expect(autoBreakpoint(tools, 1_024)).toEqual({ request: tools, onTools: true });
  });
});
