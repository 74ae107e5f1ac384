import { createHash } from 'node:crypto';
import { JsonObject, ParsedCall } from './dialect';

/** What a call read from (and wrote to) the simulated prompt cache, in tokens. */
export interface CacheUse {
  read: number;
  written: number;
}

/** Prefixes remembered at most (the oldest are forgotten first): the simulator never grows without bound. */
const MAX_PREFIXES = 10_000;
const NONE: CacheUse = { read: 0, written: 0 };

/** Everything a request sends before its last turn: what providers cache. */
function prefixOf(call: ParsedCall): unknown {
  const body = call.body;
  const allButLast = (list: unknown): unknown[] =>
    Array.isArray(list) ? (list as unknown[]).slice(0, -1) : [];
  switch (call.provider) {
    case 'openai':
      return [body.tools, body.response_format, allButLast(body.messages)];
    case 'anthropic':
      return [body.system, body.tools, allButLast(body.messages)];
    case 'gemini':
      return [body.systemInstruction, body.tools, allButLast(body.contents)];
  }
}

/** Anthropic caches only what the request marks (`cache_control` on a block). */
const marked = (body: JsonObject) => JSON.stringify(body).includes('"cache_control"');

/**
 * The providers' prompt caches, simulated: a prefix (all but the last turn) of at least `minTokens` that the same
 * model saw within `ttlMs` is read from the cache. OpenAI and Gemini cache on their own; Anthropic only prefixes a
 * request marks with `cache_control`, and reports the first sight as a cache write.
 */
export class PromptCache {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly minTokens = 1024,
    private readonly ttlMs = 300_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  use(call: ParsedCall, estimateTokens: (text: string) => number): CacheUse {
    if (call.provider === 'anthropic' && !marked(call.body)) return NONE;
    const prefix = JSON.stringify(prefixOf(call));
    const tokens = estimateTokens(prefix);
    if (tokens < this.minTokens) return NONE;
    const key = createHash('sha256')
      .update(`${call.provider}|${call.model}|${prefix}`)
      .digest('hex');
    const now = this.now();
    const expiry = this.expiries.get(key);
    this.expiries.delete(key);
    this.expiries.set(key, now + this.ttlMs);
    if (this.expiries.size > MAX_PREFIXES)
      this.expiries.delete(this.expiries.keys().next().value as string);
    if (expiry !== undefined && expiry > now) return { read: tokens, written: 0 };
    return call.provider === 'anthropic' ? { read: 0, written: tokens } : NONE;
  }

  clear(): void {
    this.expiries.clear();
  }
}
