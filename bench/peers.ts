/**
 * The gateway against its peers: the same chat call through the `openai` SDK straight to a zero-latency fake (the
 * floor), through the minimal node:http gateway in bench/minimal-gateway.js, through Portkey's open-source gateway
 * (`@portkey-ai/gateway`), through this service's /v1, and with the primary route down through Portkey (its
 * fallback config) and through a second instance of the service (sticky failover); at c=50 for BENCH_PEER_SECONDS
 * per round and sequentially (the added p50); interleaved rounds, medians. Each peer's CPU per call is measured
 * from /proc, and a CPU profile of the service's /v1 splits its CPU per call by layer (bench/cpu-layers.ts).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { cpuPerLayer } from './cpu-layers';
import {
  freePort,
  percentile,
  ROOT,
  serviceMetric,
  sleep,
  startService,
  startSimulatorProcess,
  Stat,
  stat,
  timeCalls,
  DEPLOYED_NODE_OPTIONS,
} from './support';

export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
export const CALLS_PER_ROUND = Number(process.env.BENCH_CALLS ?? 200);
const PEER_SECONDS = Number(process.env.BENCH_PEER_SECONDS ?? 5);
/** CI's smoke run (BENCH_SMOKE=1): the peers, briefly, written apart so the README keeps the last real run. */
export const SMOKE = process.env.BENCH_SMOKE === '1';
const PEERS_FILE = SMOKE ? 'peers-smoke.md' : 'peers.md';
const PORTKEY_SERVER = join(ROOT, 'node_modules/@portkey-ai/gateway/build/start-server.js');

/** Chat calls per second through `client` with `concurrency` callers looping for `seconds`; errors counted apart. */
async function callsPerSecond(client: OpenAI, model: string, seconds: number, concurrency = 50) {
  let done = 0;
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        try {
          await client.chat.completions.create({
            model,
            messages: [{ role: 'user', content: 'Hi' }],
          });
          done += 1;
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return { rate: done / seconds, errors };
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return NaN;
  }
}

/** The simulator's attempt log: how many calls reached `route` so far. */
async function attemptsOn(simulatorUrl: string, route: string): Promise<number> {
  const counts = (await (await fetch(`${simulatorUrl}/__simulator/counts`)).json()) as Record<
    string,
    number
  >;
  return counts[route] ?? 0;
}

/** Portkey's open-source gateway (node build), headless, on a free port. */
async function startPortkey() {
  const port = await freePort();
  const child = spawn(process.execPath, [PORTKEY_SERVER, `--port=${port}`, '--headless'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null) throw new Error(`Portkey's gateway exited with ${child.exitCode}`);
    const up = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    if (waited > 30_000) throw new Error("Portkey's gateway did not answer in 30 s");
    await sleep(100);
  }
  return { url, child };
}

export async function gatewayPeers() {
  const simulatorProcess = await startSimulatorProcess(0);
  const simulatorUrl = simulatorProcess.url;
  const fakeUrl = `${simulatorUrl}/v1`;
  const downRoute = 'openai:gpt-4o';
  await fetch(`${simulatorUrl}/__simulator/script`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ route: downRoute, always: { fault: 'unavailable' } }),
  });
  const gatewayPort = await freePort();
  const gateway = spawn(process.execPath, ['bench/minimal-gateway.js'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(gatewayPort), UPSTREAM_BASE_URL: fakeUrl },
    stdio: 'ignore',
  });
  const portkey = await startPortkey();
  const serviceEnv = {
    OPENAI_API_KEY: 'bench',
    GEMINI_API_KEY: '',
    ANTHROPIC_API_KEY: '',
    OPENAI_BASE_URL: fakeUrl,
    LLM_PROVIDER: 'openai',
    LLM_MODEL: 'gpt-4o-mini',
    LLM_FALLBACKS: 'anthropic:claude-haiku-4-5-20251001',
    RATE_LIMIT_PER_MINUTE: '100000',
    LLM_MAX_CONCURRENCY: '512',
    DATABASE_URL: 'pglite://memory',
  };
  // The /v1 instance listens for an inspector too (idle until the profile at the end), for the per-layer split.
  const inspectorPort = await freePort();
  const service = await startService(
    serviceEnv,
    `${DEPLOYED_NODE_OPTIONS} --inspect=127.0.0.1:${inspectorPort}`,
  );
  // BENCH_PREVIOUS=<a checkout with its own build>: that build's /v1 as one more peer, to measure a change against.
  const previousRoot = process.env.BENCH_PREVIOUS;
  const previous = previousRoot
    ? await startService(serviceEnv, DEPLOYED_NODE_OPTIONS, previousRoot)
    : undefined;
  // Default settings otherwise: the health checker probes the down primary at its own pace (counted below).
  const failover = await startService({
    ...serviceEnv,
    LLM_MODEL: 'gpt-4o',
    LLM_FALLBACKS: 'openai:gpt-4o-mini',
  });
  await sleep(500);
  const client = (baseURL: string, defaultHeaders?: Record<string, string>) =>
    new OpenAI({ apiKey: 'bench', baseURL, maxRetries: 0, timeout: 60_000, defaultHeaders });
  const portkeyTarget = (model: string) => ({
    provider: 'openai',
    api_key: 'bench',
    custom_host: fakeUrl,
    override_params: { model },
  });
  const peers: Record<string, { client: OpenAI; model: string; pid: number | undefined }> = {
    floor: { client: client(fakeUrl), model: 'gpt-4o-mini', pid: process.pid },
    minimal: {
      client: client(`http://127.0.0.1:${gatewayPort}/v1`),
      model: 'gpt-4o-mini',
      pid: gateway.pid,
    },
    portkey: {
      client: client(`${portkey.url}/v1`, {
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': fakeUrl,
      }),
      model: 'gpt-4o-mini',
      pid: portkey.child.pid,
    },
    service: {
      client: client(`${service.url}/v1`),
      model: 'openai:gpt-4o-mini',
      pid: service.child.pid,
    },
    ...(previous && {
      previous: {
        client: client(`${previous.url}/v1`),
        model: 'openai:gpt-4o-mini',
        pid: previous.child.pid,
      },
    }),
    portkeyFailover: {
      client: client(`${portkey.url}/v1`, {
        'x-portkey-config': JSON.stringify({
          strategy: { mode: 'fallback' },
          targets: [portkeyTarget('gpt-4o'), portkeyTarget('gpt-4o-mini')],
        }),
      }),
      model: 'gpt-4o',
      pid: portkey.child.pid,
    },
    failover: { client: client(`${failover.url}/v1`), model: 'default', pid: failover.child.pid },
  };
  type Peer =
    | 'floor'
    | 'minimal'
    | 'portkey'
    | 'service'
    | 'previous'
    | 'portkeyFailover'
    | 'failover';
  const names = Object.keys(peers) as Peer[];
  const series = () =>
    Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Peer, number[]>;
  const rates = series();
  const cpuPerCall = series();
  const addedP50 = series();
  const errors = Object.fromEntries(names.map((name) => [name, 0])) as Record<Peer, number>;
  // Calls on the down primary during each peer's rounds, as the simulator saw them.
  const downCalls = series();
  for (const peer of Object.values(peers)) await callsPerSecond(peer.client, peer.model, 1); // warm-up
  // The service's own split of those: its callers' attempts (llm_attempts_total) and its health checker's probes.
  const downLabels = { provider: 'openai', model: 'gpt-4o' };
  const serviceCounts = async () => ({
    callers: (await serviceMetric(failover.url, 'llm_attempts_total', downLabels)) || 0,
    probes: (await serviceMetric(failover.url, 'llm_probes_total', downLabels)) || 0,
  });
  const before = await serviceCounts();
  const sequential = async (name: Peer) =>
    percentile(
      (
        await timeCalls(
          () =>
            peers[name].client.chat.completions.create({
              model: peers[name].model,
              messages: [{ role: 'user', content: 'Hi' }],
            }),
          CALLS_PER_ROUND,
        )
      ).sort((a, b) => a - b),
      50,
    );
  for (let r = 0; r < ROUNDS; r += 1) {
    for (const name of names) {
      const cpuBefore = cpuMs(peers[name].pid);
      const downBefore = await attemptsOn(simulatorUrl, downRoute);
      const { rate, errors: failed } = await callsPerSecond(
        peers[name].client,
        peers[name].model,
        PEER_SECONDS,
      );
      cpuPerCall[name].push((cpuMs(peers[name].pid) - cpuBefore) / (rate * PEER_SECONDS));
      downCalls[name].push((await attemptsOn(simulatorUrl, downRoute)) - downBefore);
      rates[name].push(rate);
      errors[name] += failed;
    }
    const floor = await sequential('floor');
    for (const name of ['minimal', 'portkey', 'service', 'previous'] as const)
      if (name in peers) addedP50[name].push((await sequential(name)) - floor);
  }
  const after = await serviceCounts();
  // The per-layer split of the service's CPU, from a profile taken during one more c=50 run.
  const layers = await cpuPerLayer(inspectorPort, async () => {
    const { rate } = await callsPerSecond(peers.service.client, peers.service.model, PEER_SECONDS);
    return Math.round(rate * PEER_SECONDS);
  });
  await service.stop();
  await failover.stop();
  await previous?.stop();
  gateway.kill('SIGTERM');
  portkey.child.kill('SIGTERM');
  simulatorProcess.stop();
  const ratio = (name: Peer, base: Peer = 'floor') =>
    stat(rates[name].map((value, index) => value / rates[base][index]));
  const perPeer = <T>(f: (name: Peer) => T) =>
    Object.fromEntries(names.map((name) => [name, f(name)])) as Record<Peer, T>;
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  return {
    callsPerSecond: perPeer((name) => stat(rates[name])),
    cpuMsPerCall: perPeer((name) => stat(cpuPerCall[name])),
    vsFloor: perPeer((name) => ratio(name)),
    serviceVsMinimal: ratio('service', 'minimal'),
    serviceVsPortkey: ratio('service', 'portkey'),
    ...(previous && { serviceVsPrevious: ratio('service', 'previous') }),
    failoverVsHappyPath: ratio('failover', 'service'),
    downPrimaryCalls: {
      portkey: sum(downCalls.portkeyFailover),
      service: sum(downCalls.failover),
      serviceCallers: after.callers - before.callers,
      serviceProbes: after.probes - before.probes,
    },
    addedP50Ms: {
      minimal: stat(addedP50.minimal),
      portkey: stat(addedP50.portkey),
      service: stat(addedP50.service),
      ...(previous && { previous: stat(addedP50.previous) }),
    },
    serviceCpuLayers: layers,
    errors,
  };
}

export type PeersReport = Awaited<ReturnType<typeof gatewayPeers>>;

export function peersMarkdown(peers: PeersReport): string[] {
  const s = (value: Stat) => `${value.median} (${value.min} … ${value.max})`;
  const {
    callsPerSecond: rate,
    cpuMsPerCall: cpu,
    errors,
    vsFloor,
    downPrimaryCalls: down,
  } = peers;
  const layers = Object.entries(peers.serviceCpuLayers.microsPerCall)
    .map(([layer, micros]) => `${layer} ${micros}`)
    .join(' · ');
  const total = Object.values(peers.serviceCpuLayers.microsPerCall).reduce((a, b) => a + b, 0);
  return [
    `| Peers, c=50 calls/s: bare SDK (floor) / minimal node:http gateway / Portkey's gateway / this service's /v1 | ${s(rate.floor)} / ${s(rate.minimal)} / ${s(rate.portkey)} / ${s(rate.service)}; errors ${errors.floor}/${errors.minimal}/${errors.portkey}/${errors.service} | — |`,
    `| Peers vs the floor at c=50: minimal / Portkey / /v1 (ratios); /v1 vs Portkey | ×${s(vsFloor.minimal)} / ×${s(vsFloor.portkey)} / ×${s(vsFloor.service)}; ×${s(peers.serviceVsPortkey)} | /v1 ≥ Portkey (×1), next ≥ 0.4× the floor |`,
    `| Primary down at c=50: Portkey's fallback / /v1 sticky failover vs the floor; /v1 failover vs its happy path; errors | ×${s(vsFloor.portkeyFailover)} / ×${s(vsFloor.failover)}; ×${s(peers.failoverVsHappyPath)}; ${errors.portkeyFailover}/${errors.failover} | ≥ 0.9× the happy path, 0 errors |`,
    `| Calls on the down primary during those rounds: Portkey / /v1 (the service's callers' attempts; its health probes) | ${down.portkey} / ${down.service} (${down.serviceCallers}; ${down.serviceProbes}) | 0 callers' |`,
    `| CPU ms per call at c=50: SDK client (floor) / minimal / Portkey / /v1 / /v1 failing over | ${s(cpu.floor)} / ${s(cpu.minimal)} / ${s(cpu.portkey)} / ${s(cpu.service)} / ${s(cpu.failover)} | — |`,
    `| /v1 CPU per call by layer (µs, one profiled c=50 run, ${peers.serviceCpuLayers.calls} calls, total ${total}) | ${layers} | — |`,
    ...(peers.serviceVsPrevious
      ? [
          `| This build's /v1 vs the previous build's (BENCH_PREVIOUS): c=50 calls/s ratio; CPU ms per call this / previous; added p50 (ms) this / previous | ×${s(peers.serviceVsPrevious)}; ${s(cpu.service)} / ${s(cpu.previous)}; ${s(peers.addedP50Ms.service)} / ${s(peers.addedP50Ms.previous!)} | — |`,
        ]
      : []),
    `| Sequential added p50 (ms): minimal / Portkey / /v1 | ${s(peers.addedP50Ms.minimal)} / ${s(peers.addedP50Ms.portkey)} / ${s(peers.addedP50Ms.service)} | /v1 ≤ 1.2 ms |`,
  ];
}

/** Writes bench/results/peers.md (peers-smoke.md for the smoke run) and returns its text. */
export function writePeers(peers: PeersReport, date: string): string {
  const table = [
    `Gateway peers — ${date}, Node ${process.version}; ${ROUNDS} rounds × ${PEER_SECONDS} s at c=50, ${CALLS_PER_ROUND} sequential calls; medians (min … max).`,
    '',
    '| Comparison | Result | Target |',
    '|---|---|---|',
    ...peersMarkdown(peers),
  ].join('\n');
  writeFileSync(join(ROOT, 'bench', 'results', PEERS_FILE), `${table}\n`);
  return table;
}
