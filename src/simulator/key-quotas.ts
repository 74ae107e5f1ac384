import type { IncomingHttpHeaders } from 'node:http';
import type { SimulatedProvider } from './dialect';
import { ResolvedBehaviour } from './fault-script';

/** The API key a request carried, the way each provider takes it (Bearer, `x-api-key`, `x-goog-api-key`). */
export function keyOf(headers: IncomingHttpHeaders): string | undefined {
  const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
  const single = (value: string | string[] | undefined) =>
    Array.isArray(value) ? value[0] : value;
  return bearer ?? single(headers['x-api-key']) ?? single(headers['x-goog-api-key']);
}

interface Window {
  limit: number;
  windowMs: number;
  used: number;
  startedAt: number;
}

/**
 * Per-key behaviour, as providers rate-limit each key on its own: a fault scripted for one key (a 429 or a revoked
 * key on key A while key B works), and a request quota per key and window, reported in each answer's rate-limit
 * headers (OpenAI `x-ratelimit-*-requests`, Anthropic `anthropic-ratelimit-requests-*`; Gemini sends none) and
 * enforced with a 429 when a request comes past it.
 */
export class KeyQuotas {
  private readonly faults = new Map<string, ResolvedBehaviour>();
  private readonly windows = new Map<string, Window>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  fault(key: string, behaviour: ResolvedBehaviour): void {
    this.faults.set(key, behaviour);
  }

  quota(key: string, limit: number, windowMs: number): void {
    this.windows.set(key, { limit, windowMs, used: 0, startedAt: this.now() });
  }

  clear(): void {
    this.faults.clear();
    this.windows.clear();
  }

  /**
   * Counts one request on `key`: the behaviour it gets (its own fault, a 429 past its quota, or none: the route's),
   * and the rate-limit headers its answer carries.
   */
  use(
    provider: SimulatedProvider,
    key: string | undefined,
  ): { behaviour?: ResolvedBehaviour; headers: Record<string, string> } {
    if (key === undefined) return { headers: {} };
    const fault = this.faults.get(key);
    const window = this.windows.get(key);
    if (!window) return { behaviour: fault, headers: {} };
    const now = this.now();
    if (now - window.startedAt >= window.windowMs) {
      window.used = 0;
      window.startedAt = now;
    }
    window.used += 1;
    const resetMs = Math.max(1, Math.ceil(window.startedAt + window.windowMs - now));
    const over = window.used > window.limit;
    const remaining = Math.max(0, window.limit - window.used);
    const behaviour: ResolvedBehaviour | undefined = over
      ? { fault: 'rate_limited', retryAfterMs: resetMs }
      : fault;
    return { behaviour, headers: quotaHeaders(provider, window.limit, remaining, resetMs) };
  }
}

function quotaHeaders(
  provider: SimulatedProvider,
  limit: number,
  remaining: number,
  resetMs: number,
): Record<string, string> {
  switch (provider) {
    case 'openai':
      return {
        'x-ratelimit-limit-requests': String(limit),
        'x-ratelimit-remaining-requests': String(remaining),
        'x-ratelimit-reset-requests': `${(resetMs / 1000).toFixed(3)}s`,
      };
    case 'anthropic':
      return {
        'anthropic-ratelimit-requests-limit': String(limit),
        'anthropic-ratelimit-requests-remaining': String(remaining),
        'anthropic-ratelimit-requests-reset': new Date(Date.now() + resetMs).toISOString(),
      };
    case 'gemini':
      return {};
  }
}
