import type { LlmService } from '../src/llm';
import { GeneratedProfileDto } from '../src/profiles/dto/generated-profile.dto';
import type { ProviderSimulator } from '../src/simulator/provider-simulator';
import { percentile, round, stat, Stat } from './support';

const PRIMARY = 'openai:gpt-4o-mini';
const FALLBACK = 'anthropic:claude-haiku-4-5-20251001';
/** A slow-but-healthy primary: this share of its answers take SLOW_MS, the rest come at the usual latency. */
const SLOW_SHARE = 0.02;
const SLOW_MS = 600;
const HEDGE_AFTER_MS = 100;

const params = {
  schema: GeneratedProfileDto,
  schemaName: 'learner_profile',
  system: 'You build learner profiles.',
  prompt: 'Profile for a nurse in healthcare.',
};

export interface HedgingReport {
  p50Ms: { off: Stat; on: Stat };
  p99Ms: { off: Stat; on: Stat };
  /** Tokens charged per request with hedging on, over off (both attempts of a hedged request are charged). */
  extraSpend: Stat;
  hedgedShare: Stat;
  setup: string;
}

type Context = (env: Record<string, string>) => Promise<{
  app: { close(): Promise<void> };
  llm: LlmService;
}>;

/**
 * p50/p99 of plain calls with a slow-but-healthy primary, hedging off and on (LLM_HEDGE_AFTER_MS, default share
 * 5 %), interleaved by round, and what hedging costs in tokens charged.
 */
export async function hedgingCost(
  simulator: ProviderSimulator,
  baseEnv: Record<string, string>,
  context: Context,
  rounds: number,
  calls: number,
): Promise<HedgingReport> {
  const env = {
    ...baseEnv,
    LLM_PROVIDER: 'openai',
    LLM_MODEL: 'gpt-4o-mini',
    LLM_FALLBACKS: FALLBACK,
    LLM_ATTEMPT_TIMEOUT_MS: '2000',
  };
  const off = await context(env);
  const on = await context({ ...env, LLM_HEDGE_AFTER_MS: String(HEDGE_AFTER_MS) });
  simulator.latencyMs = 20;
  simulator.always(PRIMARY, {
    fault: 'mix',
    mix: [{ weight: SLOW_SHARE, behaviour: { fault: 'slow', delayMs: SLOW_MS } }],
  });
  const run = async (llm: LlmService) => {
    const times: number[] = [];
    let tokens = 0;
    const fallbackBefore = simulator.countFor(FALLBACK);
    for (let i = 0; i < calls; i += 1) {
      const started = performance.now();
      const result = await llm.generateObject(params);
      times.push(performance.now() - started);
      tokens += result.meta.spent.inputTokens + result.meta.spent.outputTokens;
    }
    times.sort((a, b) => a - b);
    return { times, tokens, hedged: (simulator.countFor(FALLBACK) - fallbackBefore) / calls };
  };
  await run(off.llm);
  await run(on.llm);
  const results = { p50off: [], p50on: [], p99off: [], p99on: [], spend: [], hedged: [] } as Record<
    string,
    number[]
  >;
  for (let r = 0; r < rounds; r += 1) {
    const a = await run(off.llm);
    const b = await run(on.llm);
    results.p50off.push(percentile(a.times, 50));
    results.p50on.push(percentile(b.times, 50));
    results.p99off.push(percentile(a.times, 99));
    results.p99on.push(percentile(b.times, 99));
    results.spend.push(round(b.tokens / a.tokens));
    results.hedged.push(round(b.hedged));
  }
  simulator.reset();
  await off.app.close();
  await on.app.close();
  return {
    p50Ms: { off: stat(results.p50off), on: stat(results.p50on) },
    p99Ms: { off: stat(results.p99off), on: stat(results.p99on) },
    extraSpend: stat(results.spend),
    hedgedShare: stat(results.hedged),
    setup: `primary answers ${SLOW_SHARE * 100} % of calls after ${SLOW_MS} ms, else after 20 ms; hedge after ${HEDGE_AFTER_MS} ms, at most 5 % of calls`,
  };
}
