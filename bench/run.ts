/**
 * `npm run bench`: every comparison against its baseline in the same run, interleaved, several rounds; medians with
 * their spread. Writes bench/results/latest.json and latest.md. Not part of `npm test`.
 */
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import autocannon from 'autocannon';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { jsonSchemaFor } from '../src/common/json-schema';
import { DEVELOPMENT_SHARED_SECRET } from '../src/config/coordination.config';
import { SharedLlmState } from '../src/coordination/coordination.module';
import { RedisConnection } from '../src/coordination/redis-connection';
import { LlmModule, LlmModuleOptions, LlmService, loadLlmConfig } from '../src/llm';
import { RouteStateRegistry } from '../src/llm/route-state/route-state.registry';
import { GeneratedProfileDto } from '../src/profiles/dto/generated-profile.dto';
import { appSimulator } from '../src/simulated-providers';
import { ProviderSimulator } from '../src/simulator/provider-simulator';
import { hedgingCost } from './hedging';
import { CALLS_PER_ROUND, gatewayPeers, peersMarkdown, ROUNDS, SMOKE, writePeers } from './peers';
import { updateResultsPage } from './results-page';
import {
  freePort,
  percentile,
  ROOT,
  sleep,
  startService,
  startSimulatorProcess,
  Stat,
  stat,
  round,
  temporaryPostgresDatabase,
  timeCalls,
} from './support';

const HTTP_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 20);
const PRIMARY = 'openai:gpt-4o-mini';
const FALLBACK = 'anthropic:claude-haiku-4-5-20251001';

/** An LLM module on its own, configured from `env` (as the service reads it), against the simulator. */
async function llmContext(env: Record<string, string>, options: Partial<LlmModuleOptions> = {}) {
  @Module({ imports: [LlmModule.forRoot({ ...loadLlmConfig(env), ...options })] })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  return { app, llm: app.get(LlmService), state: app.get(RouteStateRegistry).defaultState };
}

const profileParams = {
  schema: GeneratedProfileDto,
  schemaName: 'learner_profile',
  system: 'You build learner profiles.',
  prompt: 'Profile for a nurse in healthcare.',
};

async function layerOverhead(simulator: ProviderSimulator, baseEnv: Record<string, string>) {
  const { app, llm } = await llmContext({
    ...baseEnv,
    LLM_PROVIDER: 'openai',
    LLM_MODEL: 'gpt-4o-mini',
    LLM_FALLBACKS: FALLBACK,
  });
  const client = new OpenAI({
    apiKey: 'bench',
    baseURL: simulator.baseUrls.openai,
    maxRetries: 0,
    timeout: 60_000,
  });
  const schema = jsonSchemaFor(GeneratedProfileDto);
  const direct = async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: profileParams.system },
        { role: 'user', content: profileParams.prompt },
      ],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'learner_profile', schema, strict: true },
      },
    });
    const instance = plainToInstance(
      GeneratedProfileDto,
      JSON.parse(completion.choices[0].message.content ?? ''),
    );
    const errors = await validate(instance);
    if (errors.length > 0) throw new Error('invalid');
  };
  const layered = () => llm.generateObject(profileParams);
  await timeCalls(direct, 50);
  await timeCalls(layered, 50);
  const added50: number[] = [];
  const added99: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    const base = (await timeCalls(direct, CALLS_PER_ROUND)).sort((a, b) => a - b);
    const layer = (await timeCalls(layered, CALLS_PER_ROUND)).sort((a, b) => a - b);
    added50.push(percentile(layer, 50) - percentile(base, 50));
    added99.push(percentile(layer, 99) - percentile(base, 99));
    ratios.push(percentile(layer, 50) / percentile(base, 50));
  }
  await app.close();
  return {
    addedP50Ms: stat(added50),
    addedP99Ms: stat(added99),
    p50Ratio: stat(ratios),
    target: 'p50 ≤ 0.5 ms, p99 ≤ 2 ms added',
  };
}

/**
 * What sharing route state through Redis adds to an LLM call (the target: ≤ 0.2 ms at p50): the same calls through
 * a module on the in-process store and one on the Redis-shared store, interleaved. Needs BENCH_REDIS_URL.
 */
async function sharedStateCost(simulator: ProviderSimulator, baseEnv: Record<string, string>) {
  const redisUrl = process.env.BENCH_REDIS_URL;
  if (!redisUrl) return undefined;
  const env = {
    ...baseEnv,
    LLM_PROVIDER: 'openai',
    LLM_MODEL: 'gpt-4o-mini',
    LLM_FALLBACKS: FALLBACK,
  };
  const coordination = {
    redisUrl,
    redisLabel: 'bench Redis',
    keyPrefix: `bench-${process.pid}-${Date.now()}`,
    sharedSecret: DEVELOPMENT_SHARED_SECRET,
    developmentSecret: false,
  };
  const registry = new Registry();
  const redis = new RedisConnection(coordination, registry);
  for (let i = 0; i < 100 && !redis.up; i += 1) await sleep(50);
  if (!redis.up) throw new Error('BENCH_REDIS_URL does not answer');
  const shared = new SharedLlmState(redis, 30_000, coordination, registry);
  const local = await llmContext(env);
  const sharing = await llmContext(env, shared.llmOptions());
  const localCall = () => local.llm.generateObject(profileParams);
  const sharedCall = () => sharing.llm.generateObject(profileParams);
  await timeCalls(localCall, 50);
  await timeCalls(sharedCall, 50);
  const added50: number[] = [];
  const added99: number[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    const base = (await timeCalls(localCall, CALLS_PER_ROUND)).sort((a, b) => a - b);
    const withRedis = (await timeCalls(sharedCall, CALLS_PER_ROUND)).sort((a, b) => a - b);
    added50.push(percentile(withRedis, 50) - percentile(base, 50));
    added99.push(percentile(withRedis, 99) - percentile(base, 99));
  }
  await shared.beforeApplicationShutdown();
  await Promise.all([local.app.close(), sharing.app.close()]);
  await redis.onApplicationShutdown();
  return { addedP50Ms: stat(added50), addedP99Ms: stat(added99), target: 'p50 ≤ 0.2 ms added' };
}

async function failoverCost(simulator: ProviderSimulator, baseEnv: Record<string, string>) {
  const failing = await llmContext({
    ...baseEnv,
    LLM_PROVIDER: 'openai',
    LLM_MODEL: 'gpt-4o-mini',
    LLM_FALLBACKS: FALLBACK,
    LLM_CIRCUIT_FAILURE_THRESHOLD: '1000000', // measure the failover itself, every time
  });
  const client = new OpenAI({
    apiKey: 'bench',
    baseURL: simulator.baseUrls.openai,
    maxRetries: 0,
    timeout: 60_000,
  });
  const failedRoundTrip = async () => {
    await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })
      .catch(() => undefined);
  };
  simulator.always(PRIMARY, 'overloaded');
  const viaFailover = async () => {
    failing.state.reset();
    await failing.llm.generateObject(profileParams);
  };
  const fallbackAlone = await llmContext({
    ...baseEnv,
    LLM_PROVIDER: 'anthropic',
    LLM_MODEL: 'claude-haiku-4-5-20251001',
    LLM_FALLBACKS: FALLBACK,
  });
  const alone = () => fallbackAlone.llm.generateObject(profileParams);
  await timeCalls(viaFailover, 30);
  await timeCalls(alone, 30);
  const added: number[] = [];
  const budget: number[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    const failover = (await timeCalls(viaFailover, CALLS_PER_ROUND)).sort((a, b) => a - b);
    const base = (await timeCalls(alone, CALLS_PER_ROUND)).sort((a, b) => a - b);
    const failed = (await timeCalls(failedRoundTrip, CALLS_PER_ROUND)).sort((a, b) => a - b);
    added.push(percentile(failover, 50) - percentile(base, 50));
    budget.push(percentile(failed, 50) + 2);
  }
  // A hung primary: each call waits the attempt timeout, then the fallback answers.
  simulator.always(PRIMARY, 'hang');
  const attemptTimeoutMs = Number(baseEnv.LLM_ATTEMPT_TIMEOUT_MS);
  const hung = (await timeCalls(viaFailover, 10)).sort((a, b) => a - b);
  const aloneAfter = (await timeCalls(alone, 10)).sort((a, b) => a - b);
  simulator.reset();
  await failing.app.close();
  await fallbackAlone.app.close();
  return {
    addedP50Ms: stat(added),
    budgetMs: stat(budget),
    target: 'added ≤ one failed round trip + 2 ms',
    hungPrimary: {
      p50Ms: round(percentile(hung, 50)),
      maxMs: round(hung[hung.length - 1]),
      budgetMs: round(attemptTimeoutMs + percentile(aloneAfter, 50)),
      target: 'total ≤ attempt timeout + the fallback alone',
    },
  };
}

async function stickyCost(simulator: ProviderSimulator, baseEnv: Record<string, string>) {
  const sticky = await llmContext({
    ...baseEnv,
    LLM_PROVIDER: 'openai',
    LLM_MODEL: 'gpt-4o-mini',
    LLM_FALLBACKS: FALLBACK,
    LLM_HEALTHCHECK_INTERVAL_MS: '3600000',
  });
  simulator.always(PRIMARY, 'overloaded');
  await sticky.llm.generateObject(profileParams); // moves traffic to the fallback
  const asPrimary = await llmContext({
    ...baseEnv,
    LLM_PROVIDER: 'anthropic',
    LLM_MODEL: 'claude-haiku-4-5-20251001',
    LLM_FALLBACKS: FALLBACK,
  });
  const before = simulator.attemptsFor(PRIMARY).length;
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    const onSticky = (
      await timeCalls(() => sticky.llm.generateObject(profileParams), CALLS_PER_ROUND)
    ).sort((a, b) => a - b);
    const onPrimary = (
      await timeCalls(() => asPrimary.llm.generateObject(profileParams), CALLS_PER_ROUND)
    ).sort((a, b) => a - b);
    ratios.push(percentile(onSticky, 50) / percentile(onPrimary, 50));
  }
  const primaryAttempts = simulator.attemptsFor(PRIMARY).length - before;
  simulator.reset();
  await sticky.app.close();
  await asPrimary.app.close();
  return {
    p50RatioStickyVsFallbackAsPrimary: stat(ratios),
    attemptsOnFailedPrimary: primaryAttempts,
    target: 'within noise, 0 attempts',
  };
}

function peakRssMb(child: ChildProcess): number {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024);
  } catch {
    return NaN;
  }
}

async function cannon(url: string, connections: number, seconds: number, path: string) {
  let n = 0;
  const result = await autocannon({
    url: `${url}${path}`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    setupClient: (client) => {
      client.setBody(
        JSON.stringify({
          profession: `Bench ${(n += 1) % 50}`,
          industry: 'Bench',
          experienceLevel: 'Beginner',
        }),
      );
    },
  });
  return {
    requestsPerSecond: round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

async function httpThroughput() {
  const simulatorProcess = await startSimulatorProcess(50);
  const simulatorUrl = simulatorProcess.url;
  const database = process.env.BENCH_DATABASE_URL
    ? await temporaryPostgresDatabase(process.env.BENCH_DATABASE_URL, 'bench')
    : { url: `pglite://${mkdtempSync(join(tmpdir(), 'bench-db-'))}`, drop: async () => undefined };
  const service = await startService({
    // Only OpenAI (the simulator process); the in-process parts above left other keys in this environment.
    OPENAI_API_KEY: 'bench',
    GEMINI_API_KEY: '',
    ANTHROPIC_API_KEY: '',
    OPENAI_BASE_URL: `${simulatorUrl}/v1`,
    LLM_PROVIDER: 'openai',
    LLM_MODEL: 'gpt-4o-mini',
    LLM_FALLBACKS: PRIMARY,
    LLM_ATTEMPT_TIMEOUT_MS: '60000',
    LLM_REQUEST_TIMEOUT_MS: '120000',
    RATE_LIMIT_PER_MINUTE: '100000',
    LLM_MAX_CONCURRENCY: '512',
    DATABASE_URL: database.url,
  });
  const baselinePort = await freePort();
  const baseline = spawn(process.execPath, ['bench/baseline-server.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(baselinePort),
      OPENAI_BASE_URL: `${simulatorUrl}/v1`,
      DATABASE_URL: database.url,
    },
    stdio: 'ignore',
  });
  await sleep(1000);
  const baselineUrl = `http://127.0.0.1:${baselinePort}`;
  const results: Record<string, unknown> = {};
  for (const connections of [50, 200]) {
    await cannon(service.url, connections, 3, '/profiles?refresh=true');
    await cannon(baselineUrl, connections, 3, '/');
    const serviceRun = await cannon(
      service.url,
      connections,
      HTTP_SECONDS,
      '/profiles?refresh=true',
    );
    const baselineRun = await cannon(baselineUrl, connections, HTTP_SECONDS, '/');
    results[`c${connections}`] = {
      service: { ...serviceRun, peakRssMb: peakRssMb(service.child) },
      baseline: { ...baselineRun, peakRssMb: peakRssMb(baseline) },
      throughputRatio: round(serviceRun.requestsPerSecond / baselineRun.requestsPerSecond),
    };
  }
  results.database = database.url.startsWith('postgres') ? 'postgresql' : 'pglite';
  results.target = '≥ 80 % of baseline throughput at c=50, 0 errors, RSS ≤ 256 MB at c=200';

  // The OpenAI-compatible endpoint: the same SDK call through the service versus straight to the simulator.
  await fetch(`${simulatorUrl}/__simulator/latency`, {
    method: 'POST',
    body: JSON.stringify({ ms: 0 }),
  });
  const throughService = new OpenAI({
    apiKey: 'bench',
    baseURL: `${service.url}/v1`,
    maxRetries: 0,
  });
  const straight = new OpenAI({ apiKey: 'bench', baseURL: `${simulatorUrl}/v1`, maxRetries: 0 });
  const call = (client: OpenAI) => () =>
    client.chat.completions.create({
      model: client === straight ? 'gpt-4o-mini' : PRIMARY,
      messages: [{ role: 'user', content: 'hi' }],
    });
  await timeCalls(call(throughService), 50);
  await timeCalls(call(straight), 50);
  const addedMs: number[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    const via = (await timeCalls(call(throughService), CALLS_PER_ROUND)).sort((a, b) => a - b);
    const direct = (await timeCalls(call(straight), CALLS_PER_ROUND)).sort((a, b) => a - b);
    addedMs.push(percentile(via, 50) - percentile(direct, 50));
  }
  results.chatCompletionsAddedP50Ms = stat(addedMs);

  await service.stop();
  baseline.kill('SIGTERM');
  simulatorProcess.stop();
  await once(baseline, 'exit');
  await database.drop();
  return results;
}

function markdown(report: Record<string, any>): string {
  const s = (value: Stat) => `${value.median} (${value.min} … ${value.max})`;
  const h = report.httpThroughput;
  const lines = [
    `Benchmarks — ${report.date}, Node ${report.node}, ${report.machine.cpus}× ${report.machine.cpuModel}, ${report.machine.memoryGb} GB; ${report.rounds} rounds × ${report.callsPerRound} calls; medians (min … max over rounds).`,
    '',
    '| Comparison | Result | Target |',
    '|---|---|---|',
    `| Layer overhead: added p50 / p99 (ms), p50 ratio | ${s(report.layerOverhead.addedP50Ms)} / ${s(report.layerOverhead.addedP99Ms)}, ×${s(report.layerOverhead.p50Ratio)} | p50 ≤ 0.5 ms, p99 ≤ 2 ms |`,
    report.sharedStateCost
      ? `| Route state shared through Redis: added p50 / p99 per LLM call (ms) | ${s(report.sharedStateCost.addedP50Ms)} / ${s(report.sharedStateCost.addedP99Ms)} | p50 ≤ 0.2 ms |`
      : '| Route state shared through Redis | not measured (set BENCH_REDIS_URL) | p50 ≤ 0.2 ms |',
    `| Failover (primary 503): added p50 (ms) vs budget | ${s(report.failoverCost.addedP50Ms)} vs ${s(report.failoverCost.budgetMs)} | ≤ one failed round trip + 2 ms |`,
    `| Hung primary: p50 / max (ms) vs budget | ${report.failoverCost.hungPrimary.p50Ms} / ${report.failoverCost.hungPrimary.maxMs} vs ${report.failoverCost.hungPrimary.budgetMs} | ≤ attempt timeout + fallback |`,
    `| Sticky on fallback vs fallback as primary: p50 ratio; attempts on failed primary | ×${s(report.stickyCost.p50RatioStickyVsFallbackAsPrimary)}; ${report.stickyCost.attemptsOnFailedPrimary} | within noise; 0 |`,
    ...(report.hedging
      ? [
          `| Slow primary (${report.hedging.setup}): p99 off / on (ms); p50 off / on; tokens charged on/off; share hedged | ${s(report.hedging.p99Ms.off)} / ${s(report.hedging.p99Ms.on)}; ${s(report.hedging.p50Ms.off)} / ${s(report.hedging.p50Ms.on)}; ×${s(report.hedging.extraSpend)}; ${s(report.hedging.hedgedShare)} | p99 down, spend ≤ +5 % |`,
        ]
      : []),
    `| HTTP c=50: service / baseline req/s (ratio) | ${h.c50.service.requestsPerSecond} / ${h.c50.baseline.requestsPerSecond} (×${h.c50.throughputRatio}); p50 ${h.c50.service.p50Ms}/${h.c50.baseline.p50Ms} ms, p99 ${h.c50.service.p99Ms}/${h.c50.baseline.p99Ms} ms; errors ${h.c50.service.errors}/${h.c50.baseline.errors} | ≥ 80 %, 0 errors |`,
    `| HTTP c=200: service / baseline req/s (ratio); service peak RSS | ${h.c200.service.requestsPerSecond} / ${h.c200.baseline.requestsPerSecond} (×${h.c200.throughputRatio}); p99 ${h.c200.service.p99Ms}/${h.c200.baseline.p99Ms} ms; errors ${h.c200.service.errors}/${h.c200.baseline.errors}; RSS ${h.c200.service.peakRssMb} MB (baseline ${h.c200.baseline.peakRssMb} MB) | RSS ≤ 256 MB |`,
    `| /v1/chat/completions added p50 (ms) vs the SDK straight to the simulator | ${s(h.chatCompletionsAddedP50Ms)} | — |`,
    ...(report.gatewayPeers ? peersMarkdown(report.gatewayPeers) : []),
    '',
    `HTTP runs: ${HTTP_SECONDS} s each after a 3 s warm-up, simulator latency 50 ms, database ${h.database}.`,
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  const simulator = appSimulator();
  await simulator.start();
  const baseEnv = {
    OPENAI_API_KEY: 'bench',
    ANTHROPIC_API_KEY: 'bench',
    GEMINI_API_KEY: 'bench',
    OPENAI_BASE_URL: simulator.baseUrls.openai,
    ANTHROPIC_BASE_URL: simulator.baseUrls.anthropic,
    GEMINI_BASE_URL: simulator.baseUrls.gemini,
    LLM_ATTEMPT_TIMEOUT_MS: '200',
    LLM_REQUEST_TIMEOUT_MS: '5000',
    LOG_LEVEL: 'error',
  };
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGb: Math.round(totalmem() / 1e9),
    },
    rounds: ROUNDS,
    callsPerRound: CALLS_PER_ROUND,
  };
  if (process.env.BENCH_ONLY === 'peers') {
    // Only the gateway peers (bench/results/peers.md), for a quick comparison.
    await simulator.stop();
    console.log(writePeers(await gatewayPeers(), String(report.date)));
    if (!SMOKE) updateResultsPage();
    process.exit(0);
  }
  if (process.env.BENCH_ONLY === 'hedging') {
    const hedging = await hedgingCost(simulator, baseEnv, llmContext, ROUNDS, CALLS_PER_ROUND);
    console.log(JSON.stringify(hedging, null, 2));
    process.exit(0);
  }
  console.log('layer overhead…');
  report.layerOverhead = await layerOverhead(simulator, baseEnv);
  console.log('shared state cost…');
  report.sharedStateCost = await sharedStateCost(simulator, baseEnv);
  console.log('failover cost…');
  report.failoverCost = await failoverCost(simulator, baseEnv);
  console.log('sticky cost…');
  report.stickyCost = await stickyCost(simulator, baseEnv);
  console.log('hedging…');
  report.hedging = await hedgingCost(simulator, baseEnv, llmContext, ROUNDS, CALLS_PER_ROUND);
  await simulator.stop();
  console.log('HTTP throughput…');
  report.httpThroughput = await httpThroughput();
  console.log('gateway peers…');
  const peers = await gatewayPeers();
  report.gatewayPeers = peers;
  writePeers(peers, String(report.date));
  writeFileSync(
    join(ROOT, 'bench', 'results', 'latest.json'),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  const table = markdown(report);
  writeFileSync(join(ROOT, 'bench', 'results', 'latest.md'), table);
  updateResultsPage();
  console.log(table);
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
