/**
 * A `fetch` that rethrows network errors as errors of the calling realm.
 *
 * Node's `fetch` throws from its own realm. Where code runs in another one (Jest's sandbox, a vm context), the SDKs'
 * `instanceof Error` checks fail: @google/genai reports every call as "fetch failed" and openai misreports
 * timeouts. Re-creating the error with the same name, message and cause keeps their classification right; in a
 * plain Node process the error is already from this realm and passes through untouched.
 */
export function realmSafeFetch(baseFetch: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    try {
      return await baseFetch(input, init);
    } catch (error) {
      throw toLocalError(error);
    }
  };
}

function toLocalError(error: unknown): unknown {
  if (error instanceof Error || typeof error !== 'object' || error === null) return error;
  const foreign = error as { name?: unknown; message?: unknown; cause?: unknown };
  const local = new Error(typeof foreign.message === 'string' ? foreign.message : 'fetch failed', {
    cause: foreign.cause,
  });
  if (typeof foreign.name === 'string') local.name = foreign.name;
  return local;
}
