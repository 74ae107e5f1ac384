import { createHash } from 'node:crypto';
import { ProviderError } from '../llm.errors';
import type { ProviderRequest } from '../llm.types';
import { Route } from '../routes';
import { KeyRing, NamedKey, Quota } from './key-ring';

/** Builds one SDK client for one key, on the given fetch. */
export type ClientFactory<C> = (apiKey: string, fetch: typeof globalThis.fetch) => C;

/**
 * A provider's SDK clients, one per key, and the ring that chooses among them. Each client's fetch reports its
 * key's rate-limit headers (`quotaOf`, the provider's own reading of them) to the ring; a failed call tells the ring
 * about its key (429: cooling, 401/403: disabled) and names the key on its error, so the fallback loop can try
 * another key of the same route before another route.
 */
export class KeyedClients<C> {
  readonly ring: KeyRing;
  private readonly clients = new Map<string, C>();

  constructor(
    keys: readonly NamedKey[],
    build: ClientFactory<C>,
    baseFetch: () => typeof globalThis.fetch,
    quotaOf?: (headers: Headers) => Quota | undefined,
  ) {
    this.ring = new KeyRing(keys.map(({ name }) => name));
    for (const { name, key } of keys) {
      const fetch = baseFetch();
      const observed: typeof globalThis.fetch = quotaOf
        ? async (input, init) => {
            const response = await fetch(input, init);
            this.ring.observe(name, quotaOf(response.headers));
            return response;
          }
        : fetch;
      this.clients.set(name, build(key, observed));
    }
  }

  get configured(): boolean {
    return this.clients.size > 0;
  }

  /** The key for one call and its client; `rate_limited` (with when to come back) when no key is usable now. */
  take(
    route: Route,
    request: Pick<ProviderRequest, 'cacheKey' | 'affinity' | 'messages'>,
  ): { key: string; client: C } {
    if (this.clients.size === 0)
      throw new ProviderError(route, { kind: 'auth' }, { detail: 'no API key configured' });
    const key = this.ring.pick(affinityOf(request));
    if (key === undefined)
      throw new ProviderError(
        route,
        { kind: 'rate_limited', retryAfterMs: this.ring.readyInMs() },
        { detail: 'every key is cooling, exhausted or disabled' },
      );
    return { key, client: this.clients.get(key)! };
  }

  /** A call on `key` failed with `error`: the ring learns, and the error says which key it was. */
  failed(key: string, error: ProviderError): ProviderError {
    if (error.kind === 'rate_limited') this.ring.limited(key, error.retryAfterMs);
    if (error.kind === 'auth') this.ring.rejected(key, `rejected (${error.status ?? 'auth'})`);
    error.key = key;
    return error;
  }
}

/**
 * What keeps requests on one key: the caller's cache key (`prompt_cache_key`, else `user`), else the conversation's marked
 * stable prefix, else its system prompt; none for a bare conversation.
 */
export function affinityOf(
  request: Pick<ProviderRequest, 'cacheKey' | 'affinity' | 'messages'>,
): string | undefined {
  if (request.cacheKey) return request.cacheKey;
  if (request.affinity) return request.affinity;
  const marked = request.messages.findLastIndex((message) => message.cacheBreakpoint);
  const prefix =
    marked >= 0
      ? request.messages.slice(0, marked + 1)
      : request.messages.filter((message) => message.role === 'system');
  if (prefix.length === 0) return undefined;
  return createHash('sha256')
    .update(JSON.stringify(prefix.map(({ role, content }) => [role, content])))
    .digest('hex')
    .slice(0, 32);
}
