export interface TokenPrice {
  input: number;
  output: number;
}
export type PriceTable = Record<string, TokenPrice>;

/**
 * List prices in USD per million tokens, as published when this table was written; estimates for the cost metric
 * only. Override or extend with LLM_PRICES='{"openai:gpt-4o-mini":{"input":0.15,"output":0.6}}'.
 */
export const DEFAULT_PRICES: PriceTable = {
  'gemini:gemini-3-flash-preview': { input: 0.5, output: 3.0 },
  'gemini:gemini-2.5-flash': { input: 0.3, output: 2.5 },
  'openai:gpt-4o-mini': { input: 0.15, output: 0.6 },
  'anthropic:claude-haiku-4-5-20251001': { input: 1.0, output: 5.0 },
};

export function parsePrices(text: string | undefined, problems: string[]): PriceTable {
  if (text === undefined) return DEFAULT_PRICES;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    for (const price of Object.values(parsed as Record<string, unknown>)) {
      const { input, output } = (price ?? {}) as Partial<TokenPrice>;
      if (typeof input !== 'number' || typeof output !== 'number' || input < 0 || output < 0)
        throw new Error('bad entry');
    }
    return { ...DEFAULT_PRICES, ...(parsed as PriceTable) };
  } catch {
    problems.push(
      'LLM_PRICES: must be a JSON object of "provider:model": {"input": USD, "output": USD} per million tokens',
    );
    return DEFAULT_PRICES;
  }
}
