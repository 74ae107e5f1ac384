import { FailureKind, ProviderError } from '../llm.errors';
import { FinishReason } from '../llm.types';
import { Route } from '../routes';

/**
 * Turns a mapped finish reason into the answer's finish, or throws: a truncated answer is only acceptable when the
 * caller set its own limit (`allowTruncation`); every other failure kind always throws.
 */
export function settleFinish(
  route: Route,
  kind: FailureKind | undefined,
  allowTruncation: boolean | undefined,
  detail: string,
): FinishReason {
  if (kind === undefined) return 'stop';
  if (kind === 'truncated' && allowTruncation) return 'length';
  throw new ProviderError(route, { kind }, { detail });
}

/** A stream that ended without its provider's end marker is an incomplete answer. */
export function incompleteStream(route: Route): ProviderError {
  return new ProviderError(
    route,
    { kind: 'truncated', cutShort: true },
    { detail: 'stream ended without an end marker' },
  );
}
