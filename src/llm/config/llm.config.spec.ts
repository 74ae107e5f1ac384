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
});
