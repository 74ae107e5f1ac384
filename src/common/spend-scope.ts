import { AsyncLocalStorage } from 'node:async_hooks';

/** Who pays for the LLM calls made while handling the current request. */
export interface SpendScope {
  /** Adds tokens (input and output, of every attempt, failed ones included) to the client's spend. */
  charge(tokens: number): void;
}

const scope = new AsyncLocalStorage<SpendScope>();

/** Runs `work` with its LLM spend charged to `payer` (set around each generating request). */
export function withSpendScope<T>(payer: SpendScope, work: () => T): T {
  return scope.run(payer, work);
}

/** The current request's payer, if there is one (calls outside a request, such as probes, are free). */
export function currentPayer(): SpendScope | undefined {
  return scope.getStore();
}
