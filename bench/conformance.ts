/**
 * `npm run conformance`: the 16 scenarios of the public failover conformance catalogue (failoverbench
 * `scenarios/catalogue.yaml`, methodology v0.1) against this service's `/v1/chat/completions` with its **default
 * settings**, streaming, through the official `openai` SDK (retries off). Each scenario's fault is played by the
 * provider simulator on the scenario's primary model; the fallback (`fb-ok`) answers the canonical text. Checks and
 * verdicts follow the catalogue: pass / partial / safe / fail. Writes bench/results/conformance.{json,md}.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { appSimulator } from '../src/simulated-providers';
import { Behaviour, Fault } from '../src/simulator/fault-script';
import { ProviderSimulator } from '../src/simulator/provider-simulator';
import { updateResultsPage } from './results-page';
import { ROOT, sleep, startService } from './support';

const PROMPT =
  'Explain in exactly sixty words why a gateway earns trust only when the provider behind it misbehaves.';
const CANON =
  'A gateway earns trust only when the provider behind it misbehaves, because anyone can forward a healthy ' +
  'answer. Trust comes from what happens on the bad day: a stalled stream noticed, a cut answer completed, a ' +
  'rate limit respected, a refusal passed on honestly, and traffic moved back once the primary recovers. ' +
  'Quiet competence under failure is the whole product.';
const FALLBACK = 'openai:fb-ok';

type Verdict = 'pass' | 'partial' | 'safe' | 'fail';

interface CallResult {
  ok: boolean;
  text: string;
  model: string | undefined;
  usage: boolean;
  errorCode: string | undefined;
  wallS: number;
  hung: boolean;
}

interface Check {
  id: string;
  ok: boolean | 'n/a';
  severity: 'required' | 'advisory' | 'informational';
}

interface Scenario {
  id: string;
  title: string;
  primary: string;
  fallback?: string;
  maxWallS: number;
  ideal?: 'success' | 'error';
  /** Scripts the simulator for this scenario. */
  arrange: (simulator: ProviderSimulator, primary: string) => void;
  checks: (context: { result: CallResult; primaryAt: number[]; fallbackAt: number[] }) => Check[];
  sequence?: { count: number; intervalS: number; healAfterS: number };
}

const required = (id: string, ok: boolean | 'n/a'): Check => ({ id, ok, severity: 'required' });
const advisory = (id: string, ok: boolean | 'n/a'): Check => ({ id, ok, severity: 'advisory' });
const within = (times: number[], windowS: number) =>
  times.filter((at) => at - (times[0] ?? 0) <= windowS * 1000).length;

/** The fault on the first attempt; the primary answers the canonical text afterwards. */
const once = (fault: Fault | Behaviour) => (simulator: ProviderSimulator, primary: string) =>
  simulator
    .always(primary, { fault: 'ok', text: CANON })
    .script(
      primary,
      typeof fault === 'string' ? { fault, text: CANON } : { text: CANON, ...fault },
    );
const always = (fault: Fault) => (simulator: ProviderSimulator, primary: string) =>
  simulator.always(primary, { fault, text: CANON });

const SCENARIOS: Scenario[] = [
  {
    id: 'S01',
    title: '429 with Retry-After',
    primary: 'openai:fb-s01-429-retry-after',
    maxWallS: 20,
    arrange: once({ fault: 'rate_limited', retryAfterSeconds: 2 }),
    checks: ({ primaryAt }) => [
      advisory('retried', primaryAt.length >= 2),
      advisory(
        'retry_after_honoured',
        primaryAt.length >= 2 && primaryAt[1] - primaryAt[0] >= 1800,
      ),
      required('no_hammer', within(primaryAt, 1.5) <= 2),
    ],
  },
  {
    id: 'S02',
    title: '429 without Retry-After, persistent',
    primary: 'openai:fb-s02-429-persistent',
    maxWallS: 40,
    arrange: always('rate_limited'),
    checks: ({ primaryAt, result }) => [
      required('no_hammer', within(primaryAt, 3) <= 4),
      required('bounded_attempts', primaryAt.length <= 6),
      required('no_hang', !result.hung),
    ],
  },
  {
    id: 'S03',
    title: '500 once, then healthy',
    primary: 'openai:fb-s03-500-then-200',
    maxWallS: 20,
    arrange: once('server_error'),
    checks: ({ primaryAt, result }) => [
      required('no_hang', !result.hung),
      advisory('same_provider_retry', primaryAt.length >= 2),
    ],
  },
  {
    id: 'S04',
    title: '503 persistent',
    primary: 'openai:fb-s04-503-persistent',
    maxWallS: 40,
    arrange: always('overloaded'),
    checks: ({ primaryAt, result }) => [
      required('bounded_attempts', primaryAt.length <= 6),
      required('no_hang', !result.hung),
    ],
  },
  {
    id: 'S05',
    title: 'TCP reset before headers',
    primary: 'openai:fb-s05-reset',
    maxWallS: 20,
    arrange: once('reset'),
    checks: ({ result }) => [required('no_hang', !result.hung)],
  },
  {
    id: 'S06',
    title: 'No response at all',
    primary: 'openai:fb-s06-no-response',
    maxWallS: 130,
    arrange: always('hang'),
    checks: ({ primaryAt, result }) => [
      required('within_budget', result.wallS <= 100),
      required('no_hang', !result.hung),
      advisory('silent_route_not_retried', primaryAt.length <= 1),
    ],
  },
  {
    id: 'S07',
    title: 'Slow first token',
    primary: 'openai:fb-s07-slow-ttft',
    maxWallS: 60,
    arrange: once({ fault: 'slow_first_token', delayMs: 20_000 }),
    checks: ({ result }) => [
      required('no_hang', !result.hung),
      advisory('ttft_limit', result.wallS <= 15),
    ],
  },
  {
    id: 'S08',
    title: 'Stream cut mid-answer',
    primary: 'openai:fb-s08-stream-cut',
    maxWallS: 40,
    arrange: once('stream_cut'),
    checks: ({ result }) => [
      required('no_truncated_success', !(result.ok && result.text !== CANON)),
      required('no_hang', !result.hung),
    ],
  },
  {
    id: 'S09',
    title: 'Stream stalls',
    primary: 'openai:fb-s09-stream-stall',
    maxWallS: 70,
    arrange: once('stream_stall'),
    checks: ({ result }) => [
      required('bounded', result.wallS <= 45),
      required('no_truncated_success', !(result.ok && result.text !== CANON)),
      required('no_hang', !result.hung),
    ],
  },
  {
    id: 'S10',
    title: 'Malformed chunk in the stream',
    primary: 'openai:fb-s10-malformed-chunk',
    maxWallS: 30,
    arrange: once('stream_malformed'),
    checks: ({ result }) => [
      required('no_garbage', !(result.ok && result.text !== CANON)),
      required('no_hang', !result.hung),
      advisory('recovered_in_place', result.ok && result.text === CANON),
    ],
  },
  {
    id: 'S11',
    title: 'Stream ends without [DONE]',
    primary: 'openai:fb-s11-no-done',
    maxWallS: 30,
    arrange: once('stream_no_done'),
    checks: ({ result }) => [
      required('prompt_finalise', result.wallS <= 8),
      advisory('usage_reported', result.usage),
    ],
  },
  {
    id: 'S12',
    title: 'Context length exceeded',
    primary: 'openai:fb-s12-context-length',
    maxWallS: 20,
    arrange: always('context_length'),
    checks: ({ primaryAt, result }) => [
      required('no_same_model_retry', primaryAt.length === 1),
      required('no_hang', !result.hung),
    ],
  },
  {
    id: 'S13',
    title: 'Content-filter rejection',
    primary: 'openai:fb-s13-content-filter',
    maxWallS: 20,
    ideal: 'error',
    arrange: always('content_policy'),
    checks: ({ primaryAt, result, fallbackAt }) => [
      required('no_same_model_retry', primaryAt.length === 1),
      required('no_hang', !result.hung),
      { id: 'fallback_attempted', ok: fallbackAt.length > 0, severity: 'informational' },
    ],
  },
  {
    id: 'S14',
    title: 'Fallback target rejects prefill',
    primary: 'openai:fb-s14-stream-cut',
    fallback: 'anthropic:fb-ok-noprefill',
    maxWallS: 40,
    arrange: once('stream_cut'),
    checks: ({ result }) => [
      required('no_prefill_masking', result.ok || result.errorCode !== 'bad_request'),
      required('no_truncated_success', !(result.ok && result.text !== CANON)),
    ],
  },
  {
    id: 'S15',
    title: 'Primary flaps: down, then healthy',
    primary: 'openai:fb-s15-flap',
    maxWallS: 200,
    arrange: () => undefined, // the sequence sets up its own self-healing outage
    sequence: { count: 20, intervalS: 4, healAfterS: 60 },
    checks: () => [],
  },
  {
    id: 'S16',
    title: 'Fail-over accounting',
    primary: 'openai:fb-s16-503-persistent',
    maxWallS: 40,
    arrange: always('overloaded'),
    checks: ({ result, primaryAt }) => [
      required('reports_fallback_model', result.model === FALLBACK),
      advisory('usage_present', result.usage),
      required('bounded_attempts', primaryAt.length <= 6),
    ],
  },
];

async function call(client: OpenAI, scenario: Scenario, maxWallS: number): Promise<CallResult> {
  const started = Date.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), maxWallS * 1000);
  let text = '';
  let model: string | undefined;
  let usage = false;
  try {
    const stream = await client.chat.completions.create(
      {
        model: scenario.primary,
        messages: [{ role: 'user', content: PROMPT }],
        stream: true,
        stream_options: { include_usage: true },
        fallbacks: [scenario.fallback ?? FALLBACK],
      } as OpenAI.ChatCompletionCreateParamsStreaming,
      { signal: controller.signal },
    );
    for await (const chunk of stream) {
      model = chunk.model;
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = true;
    }
    return {
      ok: true,
      text,
      model,
      usage,
      errorCode: undefined,
      wallS: (Date.now() - started) / 1000,
      hung: false,
    };
  } catch (error) {
    const hung = controller.signal.aborted;
    const errorCode =
      error instanceof OpenAI.APIError ? String(error.code ?? error.status) : undefined;
    return { ok: false, text, model, usage, errorCode, wallS: (Date.now() - started) / 1000, hung };
  } finally {
    clearTimeout(timer);
  }
}

function verdict(
  scenario: Scenario,
  rescued: boolean,
  result: CallResult,
  checks: Check[],
): Verdict {
  const failed = (severity: Check['severity']) =>
    checks.some((check) => check.severity === severity && check.ok === false);
  if (failed('required') || result.hung) return 'fail';
  if (!rescued) return 'safe';
  return failed('advisory') ? 'partial' : 'pass';
}

async function runSequence(
  client: OpenAI,
  simulator: ProviderSimulator,
  scenario: Scenario,
): Promise<{ verdict: Verdict; checks: Check[]; note: string }> {
  const plan = scenario.sequence!;
  const started = Date.now();
  // The primary is down for the first healAfterS seconds, then healthy (the simulator's self-healing outage).
  simulator.outage(scenario.primary, { fault: 'overloaded', text: CANON }, plan.healAfterS * 1000, {
    fault: 'ok',
    text: CANON,
  });
  simulator.always(FALLBACK, { fault: 'ok', text: CANON });
  const results: Array<{ at: number; result: CallResult }> = [];
  for (let i = 0; i < plan.count; i += 1) {
    const at = (Date.now() - started) / 1000;
    results.push({ at, result: await call(client, scenario, 30) });
    const next = started + (i + 1) * plan.intervalS * 1000;
    await sleep(Math.max(0, next - Date.now()));
  }
  const duringOutage = results.filter((entry) => entry.at < plan.healAfterS);
  const back = results.find(
    (entry) => entry.at >= plan.healAfterS && entry.result.model === scenario.primary,
  );
  const recoveredAfterS = back ? back.at - plan.healAfterS : Infinity;
  const probes = simulator
    .attemptsFor(scenario.primary)
    .filter((attempt) => attempt.outputLimit === 16).length;
  const checks: Check[] = [
    required(
      'no_hang',
      results.every((entry) => !entry.result.hung),
    ),
    required(
      'served_during_outage',
      duringOutage.every((entry) => entry.result.ok),
    ),
    required('recovered', recoveredAfterS <= 30),
    { id: 'probe_discipline', ok: true, severity: 'informational' },
  ];
  const rescued = results.every((entry) => entry.result.ok && entry.result.text === CANON);
  return {
    verdict: verdict(scenario, rescued, results[0].result, checks),
    checks,
    note: `back on the primary ${Number.isFinite(recoveredAfterS) ? `${recoveredAfterS.toFixed(1)} s` : 'never'} after it healed; ${probes} probes reached it`,
  };
}

async function main(): Promise<void> {
  const simulator = appSimulator();
  await simulator.start();
  const service = await startService({
    OPENAI_API_KEY: 'conformance',
    ANTHROPIC_API_KEY: 'conformance',
    GEMINI_API_KEY: 'conformance',
    OPENAI_BASE_URL: simulator.baseUrls.openai,
    ANTHROPIC_BASE_URL: simulator.baseUrls.anthropic,
    GEMINI_BASE_URL: simulator.baseUrls.gemini,
    DATABASE_URL: 'pglite://memory',
    LLM_ALLOWED_ROUTES: 'openai:*,anthropic:*',
    RATE_LIMIT_PER_MINUTE: '100000',
  });
  const client = new OpenAI({
    baseURL: `${service.url}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
    timeout: 140_000,
  });
  const rows: Array<{
    id: string;
    title: string;
    verdict: Verdict;
    checks: Check[];
    note: string;
  }> = [];
  try {
    for (const scenario of SCENARIOS) {
      simulator.reset();
      console.log(`${scenario.id} ${scenario.title}…`);
      if (scenario.sequence) {
        rows.push({
          id: scenario.id,
          title: scenario.title,
          ...(await runSequence(client, simulator, scenario)),
        });
        continue;
      }
      scenario.arrange(simulator, scenario.primary);
      simulator.always(scenario.fallback ?? FALLBACK, { fault: 'ok', text: CANON });
      const result = await call(client, scenario, scenario.maxWallS);
      const at = (route: string) => simulator.attemptsFor(route).map((attempt) => attempt.at);
      const checks = scenario.checks({
        result,
        primaryAt: at(scenario.primary),
        fallbackAt: at(scenario.fallback ?? FALLBACK),
      });
      const rescued =
        scenario.ideal === 'error'
          ? !result.ok && !result.hung
          : result.ok && result.text === CANON;
      rows.push({
        id: scenario.id,
        title: scenario.title,
        verdict: verdict(scenario, rescued, result, checks),
        checks,
        note: `${result.ok ? `answered by ${result.model}` : `error ${result.errorCode}`} in ${result.wallS.toFixed(1)} s; ${at(scenario.primary).length} attempt(s) on the primary`,
      });
    }
  } finally {
    await service.stop();
    await simulator.stop();
  }
  const count = (verdict: Verdict) => rows.filter((row) => row.verdict === verdict).length;
  const lines = [
    `Failover conformance — ${new Date().toISOString()}, the failoverbench catalogue (methodology v0.1) against /v1/chat/completions, streaming, default settings, openai SDK with retries off.`,
    '',
    `**${count('pass')} pass, ${count('partial')} partial, ${count('safe')} safe, ${count('fail')} fail**`,
    '',
    '| scenario | verdict | checks (✓ ok, ✗ failed, · informational) | what happened |',
    '|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.id} ${row.title} | ${row.verdict} | ${row.checks
          .map(
            (check) =>
              `${check.severity === 'informational' ? '·' : check.ok ? '✓' : '✗'} ${check.id}${check.severity === 'advisory' ? ' (advisory)' : ''}`,
          )
          .join(', ')} | ${row.note} |`,
    ),
  ];
  writeFileSync(
    join(ROOT, 'bench', 'results', 'conformance.json'),
    `${JSON.stringify(rows, null, 2)}\n`,
  );
  writeFileSync(join(ROOT, 'bench', 'results', 'conformance.md'), `${lines.join('\n')}\n`);
  updateResultsPage();
  console.log(lines.join('\n'));
  // A regression gate: a scenario that fails (a hang, a truncated success, a required check) fails the run.
  process.exit(count('fail') > 0 ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
