import { AsyncLocalStorage } from 'node:async_hooks';

/** What one LLM attempt may cost at worst: its estimated input and the output limit it would send. */
export interface SpendAsk {
  inputTokens: number;
  outputTokens: number;
  /**
   * The output limit is the service's default, not the caller's: when the budget has less left, the attempt may go
   * out with a lower limit (and end with a `length` finish) instead of being refused.
   */
  flexibleOutput: boolean;
  /** USD per token of the route the attempt goes to (input, output); absent when the route is unpriced. */
  price?: { input: number; output: number };
}

/** Tokens held for one attempt until it ends. */
export interface SpendHold {
  /** The output limit the attempt may send: what was asked, or less when the budget had less left. */
  readonly outputTokens: number;
  /**
   * The attempt is over and cost `tokens` (billed-equivalent: cached input weighted by its price, see
   * `Prices.budgetTokens`) and `usd` (undefined when the route is unpriced): the hold becomes that charge, once.
   */
  settle(tokens: number, usd?: number): void;
}

/** Who pays for the LLM calls made while handling the current request. */
export interface SpendScope {
  /**
   * Holds an attempt's worst case against the payer's budgets before it is sent; rejects (with an error that carries
   * its HTTP answer, a 429) when it does not fit.
   */
  reserve(ask: SpendAsk): Promise<SpendHold>;
}

/** A hold that budgets nothing (calls outside a request, such as probes, are free). */
export function freeHold(ask: SpendAsk): SpendHold {
  return { outputTokens: ask.outputTokens, settle: () => undefined };
}

const scope = new AsyncLocalStorage<SpendScope>();

/** Runs `work` with its LLM spend charged to `payer` (set around each generating request). */
export function withSpendScope<T>(payer: SpendScope, work: () => T): T {
  return scope.run(payer, work);
}

/** The current request's payer, if there is one. */
export function currentPayer(): SpendScope | undefined {
  return scope.getStore();
}
