import { ConfigValidationError } from '../../config/validate-environment';
import { loadLlmConfig } from './llm-environment';

describe('loadLlmConfig', () => {
  it('defaults to gemini-3-flash-preview with the gemini fallbacks and the simulator when no key is set', () => {
    const config = loadLlmConfig({});
    expect(config.routes.chain.map((route) => `${route.provider}:${route.model}`)).toEqual([
      'gemini:gemini-3-flash-preview',
      'gemini:gemini-2.5-flash',
      'openai:gpt-4o-mini',
      'anthropic:claude-haiku-4-5-20251001',
    ]);
    expect(config).toMatchObject({
      timeouts: { attemptMs: 60_000, requestMs: 120_000 },
      routes: { simulator: 'on' },
    });
  });

  it('uses real providers once a key is set, and treats empty values as unset', () => {
    const config = loadLlmConfig({ OPENAI_API_KEY: 'k', GEMINI_API_KEY: '', LLM_MODEL: '' });
    expect(config.routes.simulator).toBe('off');
    expect(config.routes.providers.gemini?.apiKey).toBeUndefined();
    expect(config.routes.chain[0].model).toBe('gemini-3-flash-preview');
  });

  it('fails in production without keys, unless LLM_SIMULATOR=true', () => {
    expect(() => loadLlmConfig({ NODE_ENV: 'production' })).toThrow(ConfigValidationError);
    expect(loadLlmConfig({ NODE_ENV: 'production', LLM_SIMULATOR: 'true' }).routes.simulator).toBe(
      'on',
    );
  });

  it('LLM_SIMULATOR=false with no key does not start the simulator', () => {
    expect(loadLlmConfig({ LLM_SIMULATOR: 'false' }).routes.simulator).toBe('off');
  });

  it('collects every problem, naming variables and rules but never values', () => {
    const secret = 'sk-secret-value-123456';
    let error: unknown;
    try {
      loadLlmConfig({
        OPENAI_API_KEY: secret,
        LLM_PROVIDER: 'bogus',
        LLM_ATTEMPT_TIMEOUT_MS: '-5',
        GEMINI_BASE_URL: secret,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const message = (error as Error).message;
    expect(message).toContain('LLM_PROVIDER');
    expect(message).toContain('LLM_ATTEMPT_TIMEOUT_MS');
    expect(message).toContain('GEMINI_BASE_URL');
    expect(message).not.toContain('sk-secret');
    expect(message).not.toContain('bogus');
  });

  it('LLM_ENDPOINTS: named OpenAI-compatible endpoints with their own keys, capabilities and prices, usable in chains', () => {
    const config = loadLlmConfig({
      LLM_ENDPOINTS:
        'azure:https://example.openai.azure.com/openai/v1, local-vllm:http://vllm:8000/v1',
      AZURE_API_KEYS: 'east:k1,west:k2',
      LOCAL_VLLM_API_KEY: 'none',
      LOCAL_VLLM_CAPABILITIES: 'json_object,prefill',
      LLM_PROVIDER: 'azure',
      LLM_MODEL: 'gpt-4o-mini',
      LLM_FALLBACKS: 'local-vllm:meta-llama/Llama-3.3-70B,anthropic:claude-haiku-4-5-20251001',
      LLM_ALLOWED_ROUTES: 'local-vllm:*',
    });
    expect(config.routes.chain.map((route) => `${route.provider}:${route.model}`)).toEqual([
      'azure:gpt-4o-mini',
      'local-vllm:meta-llama/Llama-3.3-70B',
      'anthropic:claude-haiku-4-5-20251001',
    ]);
    expect(config.routes.simulator).toBe('off');
    expect(config.routes.providers.azure).toMatchObject({
      baseUrl: 'https://example.openai.azure.com/openai/v1',
      keys: [
        { name: 'east', key: 'k1' },
        { name: 'west', key: 'k2' },
      ],
    });
    expect(config.routes.endpoints).toEqual([
      {
        name: 'azure',
        environmentPrefix: 'AZURE',
        capabilities: ['json_schema', 'json_object', 'tools'],
        pricingId: 'azure',
      },
      {
        name: 'local-vllm',
        environmentPrefix: 'LOCAL_VLLM',
        capabilities: ['json_object', 'prefill'],
        pricingId: undefined,
      },
    ]);
  });

  it('LLM_ENDPOINTS: each bad item named by position, an endpoint taking a vendor name refused, a route to an unlisted one refused', () => {
    let error: unknown;
    try {
      loadLlmConfig({
        LLM_ENDPOINTS: 'openai:http://x/v1,Bad Name:http://y/v1,ok:not-a-url,local:http://z/v1',
        LOCAL_CAPABILITIES: 'tools,telepathy',
        LOCAL_PRICING: 'nowhere',
        LLM_FALLBACKS: 'groq:llama',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const problems = (error as ConfigValidationError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^LLM_ENDPOINTS: item 1 takes a vendor's name/),
        expect.stringMatching(/^LLM_ENDPOINTS: item 2 is not name:base-url/),
        expect.stringMatching(/^LLM_ENDPOINTS: item 3: the base URL/),
        expect.stringMatching(/^LOCAL_CAPABILITIES: must list/),
        expect.stringMatching(/^LOCAL_PRICING: names no provider/),
        expect.stringMatching(/^LLM_FALLBACKS: item 1 names an unknown provider/),
      ]),
    );
  });
});
