import {
  buildChain,
  defaultFallbacks,
  parseRoute,
  parseRouteList,
  PROVIDER_NAMES,
  routeId,
  RouteParseError,
} from './routes';

describe('routes', () => {
  it('parses provider:model, keeping colons and slashes in the model', () => {
    expect(parseRoute(' OpenAI:gpt-4o-mini ')).toEqual({
      provider: 'openai',
      model: 'gpt-4o-mini',
    });
    expect(parseRoute('openai:org/model:tag')).toEqual({
      provider: 'openai',
      model: 'org/model:tag',
    });
  });

  it.each(['gpt-4o-mini', ':gpt', 'mistral:large', 'openai:', 'openai: bad model'])(
    'rejects %p',
    (text) => {
      expect(() => parseRoute(text, PROVIDER_NAMES)).toThrow(RouteParseError);
    },
  );

  it('takes a named endpoint where the configuration names it, and any well-formed name without a list', () => {
    expect(parseRoute('azure:gpt-4o-mini', [...PROVIDER_NAMES, 'azure'])).toEqual({
      provider: 'azure',
      model: 'gpt-4o-mini',
    });
    expect(() => parseRoute('azure:gpt-4o-mini', PROVIDER_NAMES)).toThrow(/unknown provider/);
    expect(parseRoute('local-vllm:llama').provider).toBe('local-vllm');
    expect(() => parseRoute('bad!name:x')).toThrow(RouteParseError);
  });

  it('parses lists, ignoring empty items and naming the bad item by position', () => {
    expect(parseRouteList('gemini:a, ,openai:b,').map(routeId)).toEqual(['gemini:a', 'openai:b']);
    expect(() => parseRouteList('gemini:a,nope')).toThrow(
      'item 2 is not of the form provider:model',
    );
  });

  it.each([
    [
      'gemini',
      ['gemini:gemini-2.5-flash', 'openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5-20251001'],
    ],
    [
      'openai',
      ['openai:gpt-4o-mini', 'gemini:gemini-2.5-flash', 'anthropic:claude-haiku-4-5-20251001'],
    ],
    [
      'anthropic',
      ['anthropic:claude-haiku-4-5-20251001', 'openai:gpt-4o-mini', 'gemini:gemini-2.5-flash'],
    ],
  ] as const)('default fallbacks for %s', (primary, expected) => {
    expect(defaultFallbacks(primary).map(routeId)).toEqual(expected);
  });

  it('drops a fallback equal to the primary and duplicates', () => {
    const chain = buildChain(
      parseRoute('openai:gpt-4o-mini'),
      parseRouteList('openai:gpt-4o-mini,gemini:x,gemini:x'),
    );
    expect(chain.map(routeId)).toEqual(['openai:gpt-4o-mini', 'gemini:x']);
  });
});
