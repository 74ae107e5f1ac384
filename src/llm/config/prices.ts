import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { calcPrice } from '@pydantic/genai-prices';
import type { TokenUsage } from '../llm.types';
import { PROVIDERS } from '../providers/registry';
import { Route, routeId } from '../routes';

/** USD per million tokens: fresh input, output, and (when they differ from input) cache reads and writes. */
export interface TokenPrice {
  input: number;
  output: number;
  cachedInput?: number;
  cacheWrite?: number;
}
/** LLM_PRICES: routes priced by the operator (named deployments, negotiated prices), over the maintained data. */
export type PriceTable = Record<string, TokenPrice>;

/** Prices not overridden come from this maintained data set (its version is its date: shown in /health/llm). */
export const PRICE_DATA: string = (() => {
  try {
    const main = require.resolve('@pydantic/genai-prices');
    const pkg = JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    return `@pydantic/genai-prices ${pkg.version}`;
  } catch {
    return '@pydantic/genai-prices';
  }
})();

/** Above this many input tokens some models price by tier: the cost is computed exactly, not from unit prices. */
const TIERED_FROM = 100_000;
const MILLION = 1_000_000;

/**
 * What calls cost, in USD: the operator's LLM_PRICES for a route, else the maintained price data (cached reads and
 * cache writes at their own prices). A route neither knows is unpriced (`undefined`), never silently free.
 */
export class Prices {
  private readonly units = new Map<string, TokenPrice | null>();

  /**
   * `pricingIds`: the price data's provider of each named endpoint that has one (`azure`); the vendors' come from
   * the registry. A provider with neither is priced by `overrides` only.
   */
  constructor(
    private readonly overrides: PriceTable = {},
    private readonly pricingIds: Readonly<Record<string, string | undefined>> = {},
  ) {}

  /** The route's unit prices, or undefined when it has none. */
  priceOf(route: Route): TokenPrice | undefined {
    const id = routeId(route);
    const own = this.overrides[id];
    if (own) return own;
    let unit = this.units.get(id);
    if (unit === undefined) {
      unit = this.lookUp(route);
      this.units.set(id, unit);
    }
    return unit ?? undefined;
  }

  /** The cost of one call's usage, or undefined for an unpriced route. */
  costOf(route: Route, usage: TokenUsage): number | undefined {
    const unit = this.priceOf(route);
    if (!unit) return undefined;
    if (usage.inputTokens > TIERED_FROM && !this.overrides[routeId(route)])
      return this.exact(route, usage) ?? undefined;
    const cached = usage.cachedInputTokens ?? 0;
    const written = usage.cacheWriteTokens ?? 0;
    const fresh = Math.max(0, usage.inputTokens - cached - written);
    return (
      (fresh * unit.input +
        cached * (unit.cachedInput ?? unit.input) +
        written * (unit.cacheWrite ?? unit.input) +
        usage.outputTokens * unit.output) /
      MILLION
    );
  }

  /**
   * The tokens a budget counts for one call: output and fresh input as they are, cached reads and cache writes
   * weighted by their price against fresh input (an Anthropic cache read counts a tenth of a token), rounded up.
   * Unpriced routes count every token in full.
   */
  budgetTokens(route: Route, usage: TokenUsage): number {
    const unit = this.priceOf(route);
    const cached = usage.cachedInputTokens ?? 0;
    const written = usage.cacheWriteTokens ?? 0;
    if (!unit || unit.input <= 0 || cached + written === 0)
      return usage.inputTokens + usage.outputTokens;
    const fresh = Math.max(0, usage.inputTokens - cached - written);
    const weighted =
      (cached * (unit.cachedInput ?? unit.input) + written * (unit.cacheWrite ?? unit.input)) /
      unit.input;
    return fresh + Math.ceil(weighted) + usage.outputTokens;
  }

  /** USD per token (input, output) of the route, for reservations; undefined when unpriced. */
  perToken(route: Route): { input: number; output: number } | undefined {
    const unit = this.priceOf(route);
    return unit && { input: unit.input / MILLION, output: unit.output / MILLION };
  }

  private lookUp(route: Route): TokenPrice | null {
    const per = (usage: Partial<TokenUsage>) =>
      this.exact(route, { inputTokens: 0, outputTokens: 0, ...usage });
    const input = per({ inputTokens: MILLION });
    const output = per({ outputTokens: MILLION });
    if (input === null || output === null) return null;
    const cachedInput = per({ inputTokens: MILLION, cachedInputTokens: MILLION }) ?? input;
    const cacheWrite = per({ inputTokens: MILLION, cacheWriteTokens: MILLION }) ?? input;
    return { input, output, cachedInput, cacheWrite };
  }

  private exact(route: Route, usage: TokenUsage): number | null {
    const providerId =
      PROVIDERS.find((provider) => provider.name === route.provider)?.pricingId ??
      this.pricingIds[route.provider];
    // Without a provider the price data would match the model by name across every vendor: unpriced instead.
    if (providerId === undefined) return null;
    const result = calcPrice(
      {
        input_tokens: usage.inputTokens,
        cache_read_tokens: usage.cachedInputTokens ?? 0,
        cache_write_tokens: usage.cacheWriteTokens ?? 0,
        output_tokens: usage.outputTokens,
      },
      route.model,
      { providerId },
    );
    return result ? result.total_price : null;
  }
}

export function parsePrices(text: string | undefined, problems: string[]): PriceTable {
  if (text === undefined) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    for (const price of Object.values(parsed as Record<string, unknown>)) {
      const { input, output, cachedInput, cacheWrite } = (price ?? {}) as Partial<TokenPrice>;
      const valid = (value: unknown) => typeof value === 'number' && value >= 0;
      if (!valid(input) || !valid(output)) throw new Error('bad entry');
      if (cachedInput !== undefined && !valid(cachedInput)) throw new Error('bad entry');
      if (cacheWrite !== undefined && !valid(cacheWrite)) throw new Error('bad entry');
    }
    return parsed as PriceTable;
  } catch {
    problems.push(
      'LLM_PRICES: must be a JSON object of "provider:model": {"input": USD, "output": USD, "cachedInput"?: USD, "cacheWrite"?: USD} per million tokens',
    );
    return {};
  }
}
