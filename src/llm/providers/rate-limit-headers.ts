import type { Quota } from './key-ring';

/** OpenAI's reset durations: `1s`, `6m0s`, `20ms`, `1h2m3.5s`. */
function parseDuration(text: string | null): number | undefined {
  if (!text) return undefined;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text.trim()) return undefined;
  const unit = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
  return Math.round(
    parts.reduce(
      (sum, [, value, name]) => sum + Number(value) * unit[name as keyof typeof unit],
      0,
    ),
  );
}

function count(text: string | null): number | undefined {
  if (text === null || !/^\d{1,15}$/.test(text.trim())) return undefined;
  return Number(text);
}

/**
 * The scarcer of a key's request and token windows: what is left, and when an empty one resets. Either window at 0
 * makes the key exhausted until that window's reset.
 */
function scarcer(
  windows: Array<{ remaining: number | undefined; resetMs: number | undefined }>,
): Quota | undefined {
  const known = windows.filter((window) => window.remaining !== undefined);
  if (known.length === 0) return undefined;
  const empty = known.filter((window) => window.remaining === 0 && window.resetMs !== undefined);
  if (empty.length > 0)
    return { remaining: 0, resetMs: Math.max(...empty.map((window) => window.resetMs!)) };
  return { remaining: Math.min(...known.map((window) => window.remaining!)) };
}

/** `x-ratelimit-remaining-requests` / `-tokens` and their `x-ratelimit-reset-*` durations. */
export function openAiQuota(headers: Headers): Quota | undefined {
  return scarcer(
    ['requests', 'tokens'].map((window) => ({
      remaining: count(headers.get(`x-ratelimit-remaining-${window}`)),
      resetMs: parseDuration(headers.get(`x-ratelimit-reset-${window}`)),
    })),
  );
}

/** `anthropic-ratelimit-{requests,tokens}-remaining` and their `-reset` instants (RFC 3339). */
export function anthropicQuota(headers: Headers, now: number = Date.now()): Quota | undefined {
  return scarcer(
    ['requests', 'tokens', 'input-tokens', 'output-tokens'].map((window) => {
      const reset = Date.parse(headers.get(`anthropic-ratelimit-${window}-reset`) ?? '');
      return {
        remaining: count(headers.get(`anthropic-ratelimit-${window}-remaining`)),
        resetMs: Number.isNaN(reset) ? undefined : Math.max(0, reset - now),
      };
    }),
  );
}
