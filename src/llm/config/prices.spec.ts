import { parseRouteList } from '../routes';
import { LLM_DEFAULTS } from './llm.config';
import { PRICE_DATA, Prices } from './prices';

describe('Prices', () => {
  const prices = new Prices();

  it('prices every default route from the maintained data, cached input below fresh input', () => {
    const defaults = parseRouteList(
      'gemini:gemini-3-flash-preview,gemini:gemini-2.5-flash,openai:gpt-4o-mini,anthropic:claude-haiku-4-5-20251001',
    );
    for (const route of defaults) {
      const unit = prices.priceOf(route);
      expect([route.model, unit?.input]).toEqual([route.model, expect.any(Number)]);
      expect(unit!.input).toBeGreaterThan(0);
      expect(unit!.output).toBeGreaterThan(unit!.input);
      expect(unit!.cachedInput).toBeLessThan(unit!.input);
    }
    expect(PRICE_DATA).toMatch(/^@pydantic\/genai-prices \d+\.\d+\.\d+$/);
    expect(LLM_DEFAULTS.routes.prices).toEqual({});
  });

  it('costs a call with its cached part at the cache price; an unknown route is unpriced, never free', () => {
    const [mini] = parseRouteList('openai:gpt-4o-mini');
    const fresh = prices.costOf(mini, { inputTokens: 10_000, outputTokens: 1_000 })!;
    const cached = prices.costOf(mini, {
      inputTokens: 10_000,
      outputTokens: 1_000,
      cachedInputTokens: 8_000,
    })!;
    expect(cached).toBeLessThan(fresh);
    expect(fresh).toBeCloseTo((10_000 * 0.15 + 1_000 * 0.6) / 1e6, 9);
    const [unknown] = parseRouteList('openai:no-such-model-anywhere');
    expect(prices.priceOf(unknown)).toBeUndefined();
    expect(prices.costOf(unknown, { inputTokens: 10, outputTokens: 10 })).toBeUndefined();
  });

  it('LLM_PRICES overrides the data for a route, and prices one the data does not know', () => {
    const own = new Prices({
      'openai:gpt-4o-mini': { input: 1, output: 2 },
      'openai:in-house': { input: 3, output: 4, cachedInput: 0.5 },
    });
    const [mini, house] = parseRouteList('openai:gpt-4o-mini,openai:in-house');
    expect(own.costOf(mini, { inputTokens: 1e6, outputTokens: 1e6 })).toBe(3);
    expect(own.costOf(house, { inputTokens: 1e6, outputTokens: 0, cachedInputTokens: 1e6 })).toBe(
      0.5,
    );
  });

  it('a large prompt is costed exactly (tiered prices), not from unit prices', () => {
    const [pro] = parseRouteList('gemini:gemini-2.5-pro');
    const unit = prices.priceOf(pro);
    if (!unit) return; // not in this data version
    const large = prices.costOf(pro, { inputTokens: 300_000, outputTokens: 0 })!;
    expect(large).toBeGreaterThanOrEqual((300_000 * unit.input) / 1e6);
  });

  it('budgets count cached input at its price against fresh input (billed-equivalent tokens)', () => {
    const prices = new Prices({
      'anthropic:claude-x': { input: 1, output: 5, cachedInput: 0.1, cacheWrite: 1.25 },
    });
    const route = { provider: 'anthropic' as const, model: 'claude-x' };
    // 200 fresh + 1,000 read at a tenth + 400 written at 1.25 + 50 out.
    expect(
      prices.budgetTokens(route, {
        inputTokens: 1_600,
        cachedInputTokens: 1_000,
        cacheWriteTokens: 400,
        outputTokens: 50,
      }),
    ).toBe(200 + 100 + 500 + 50);
    // No cache in play, or no price known: every token counts in full.
    expect(prices.budgetTokens(route, { inputTokens: 1_000, outputTokens: 10 })).toBe(1_010);
    expect(
      prices.budgetTokens(
        { provider: 'openai', model: 'no-such-model' },
        { inputTokens: 1_000, cachedInputTokens: 900, outputTokens: 10 },
      ),
    ).toBe(1_010);
    expect(prices.perToken(route)).toEqual({ input: 1e-6, output: 5e-6 });
  });
});
