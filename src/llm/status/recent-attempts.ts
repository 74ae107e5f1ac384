/** Per-minute attempt statistics over the last hour, for the status page (Prometheus keeps the long history). */
interface MinuteBucket {
  minute: number;
  outcomes: Record<string, number>;
  /** Attempt durations (ms), at most SAMPLES_PER_MINUTE of them: enough for percentiles on a status page. */
  durations: number[];
  costUsd: number;
  inputTokens: number;
  cachedInputTokens: number;
}

const MINUTES = 60;
const SAMPLES_PER_MINUTE = 500;

export interface RecentAttemptsSummary {
  windowMinutes: number;
  attempts: number;
  byOutcome: Record<string, number>;
  latencyMs: { p50: number | null; p95: number | null; max: number | null };
  estimatedCostUsd: number;
  /** Share of input tokens read from a provider's prompt cache (null before any input). */
  cacheHitShare: number | null;
  /** Attempts per minute, oldest first, for a sparkline. */
  perMinute: number[];
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? null
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function cacheShare(buckets: MinuteBucket[]): number | null {
  const input = buckets.reduce((sum, bucket) => sum + bucket.inputTokens, 0);
  const cached = buckets.reduce((sum, bucket) => sum + bucket.cachedInputTokens, 0);
  return input === 0 ? null : Math.round((cached / input) * 1000) / 1000;
}

export class RecentAttempts {
  private readonly buckets: MinuteBucket[] = [];

  attempt(outcome: string, durationMs: number, nowMs: number): void {
    const bucket = this.bucket(nowMs);
    bucket.outcomes[outcome] = (bucket.outcomes[outcome] ?? 0) + 1;
    if (bucket.durations.length < SAMPLES_PER_MINUTE) bucket.durations.push(Math.round(durationMs));
  }

  cost(usd: number, nowMs: number): void {
    this.bucket(nowMs).costUsd += usd;
  }

  /** Input tokens of one attempt, and how many of them came from a prompt cache. */
  input(tokens: number, cached: number, nowMs: number): void {
    const bucket = this.bucket(nowMs);
    bucket.inputTokens += tokens;
    bucket.cachedInputTokens += cached;
  }

  summary(nowMs: number): RecentAttemptsSummary {
    const current = Math.floor(nowMs / 60_000);
    const live = this.buckets.filter((bucket) => bucket.minute > current - MINUTES);
    const byOutcome: Record<string, number> = {};
    for (const bucket of live)
      for (const [outcome, count] of Object.entries(bucket.outcomes))
        byOutcome[outcome] = (byOutcome[outcome] ?? 0) + count;
    const durations = live.flatMap((bucket) => bucket.durations).sort((a, b) => a - b);
    const perMinute = Array.from({ length: MINUTES }, (_, offset) => {
      const minute = current - MINUTES + 1 + offset;
      const bucket = live.find((candidate) => candidate.minute === minute);
      return bucket ? Object.values(bucket.outcomes).reduce((sum, count) => sum + count, 0) : 0;
    });
    return {
      windowMinutes: MINUTES,
      attempts: Object.values(byOutcome).reduce((sum, count) => sum + count, 0),
      byOutcome,
      latencyMs: {
        p50: percentile(durations, 50),
        p95: percentile(durations, 95),
        max: durations.length === 0 ? null : durations[durations.length - 1],
      },
      estimatedCostUsd:
        Math.round(live.reduce((sum, bucket) => sum + bucket.costUsd, 0) * 1e6) / 1e6,
      cacheHitShare: cacheShare(live),
      perMinute,
    };
  }

  private bucket(nowMs: number): MinuteBucket {
    const minute = Math.floor(nowMs / 60_000);
    const last = this.buckets[this.buckets.length - 1];
    if (last?.minute === minute) return last;
    const bucket: MinuteBucket = {
      minute,
      outcomes: {},
      durations: [],
      costUsd: 0,
      inputTokens: 0,
      cachedInputTokens: 0,
    };
    this.buckets.push(bucket);
    while (this.buckets.length > MINUTES) this.buckets.shift();
    return bucket;
  }
}
