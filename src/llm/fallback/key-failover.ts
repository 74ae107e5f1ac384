import { ProviderError } from '../llm.errors';
import { LlmProvider } from '../llm.types';

/** Whether a failure was one key's (a 429 or a rejected key) and another key of the provider is usable now. */
export function otherKeyFor(error: ProviderError, provider: LlmProvider): boolean {
  return (
    error.key !== undefined &&
    (error.kind === 'rate_limited' || error.kind === 'auth') &&
    provider.keys !== undefined &&
    provider.keys.size > 1 &&
    provider.keys.hasReady()
  );
}
