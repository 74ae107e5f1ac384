import { nodeHttpFetch } from './node-http-fetch';
import { realmSafeFetch } from './realm-safe-fetch';
import { sanitizingSse } from './sse-sanitizer';

/**
 * The `fetch` every provider's SDK client is built with: Node's HTTP client with keep-alive (`nodeHttpFetch`),
 * errors rethrown in the caller's realm (`realmSafeFetch`), and malformed stream events dropped and reported to
 * `onMalformedEvent` (`sanitizingSse`).
 */
export function providerFetch(onMalformedEvent: () => void): typeof fetch {
  return sanitizingSse(realmSafeFetch(nodeHttpFetch()), onMalformedEvent);
}
