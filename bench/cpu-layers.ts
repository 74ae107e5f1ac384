/**
 * The per-layer CPU budget of a `/v1` call: a CPU profile of the running service, taken through its inspector (the
 * Chrome DevTools protocol over a WebSocket) while the bench drives it, each sample charged to the layer that owns
 * the code it was in (native frames inherit their caller's layer), divided by the calls made while profiling.
 */

import { writeFileSync } from 'node:fs';

/** A layer and the code it owns, matched against a frame's script URL (first match wins). */
const LAYERS: Array<[layer: string, pattern: RegExp]> = [
  [
    'logger',
    /node_modules\/(pino|nestjs-pino|pino-std-serializers|sonic-boom|thread-stream)\/|dist\/common\/service-logger/,
  ],
  [
    'validation',
    /node_modules\/(class-validator|class-transformer|validator|ajv)\/|dist\/common\/(json-body|compiled-validation|validation)/,
  ],
  [
    'guards and interceptors',
    /node_modules\/@nestjs\/throttler\/|dist\/common\/.*(guard|throttler|auth-gate)|dist\/spend\//,
  ],
  ['translation and controller', /dist\/openai-compat\//],
  ["the providers' fetch", /dist\/llm\/providers\/.*fetch|dist\/common\/.*fetch/],
  [
    'fallback loop, ledger, metrics',
    /dist\/llm\/|node_modules\/(prom-client|tdigest|bintrees)\/|dist\/health\/|dist\/coordination\//,
  ],
  ['the openai SDK', /node_modules\/openai\//],
  [
    'Nest + Fastify',
    /node_modules\/(@nestjs|fastify|@fastify|find-my-way|avvio|light-my-request|rxjs|fast-json-stringify|secure-json-parse|toad-cache|process-warning|abstract-logging)\/|dist\/common\/|dist\/app/,
  ],
  ['Node HTTP client (undici)', /node:internal\/deps\/undici|node_modules\/undici\//],
  ['Node HTTP server', /node:_http_(server|common|outgoing|incoming)|node:internal\/http/],
  [
    'Node streams, net, events, timers',
    /node:(net|stream|events|internal\/(streams|timers|net|stream_base|event_target|abort_controller|process\/task_queues|async_hooks|webstreams))/,
  ],
  ['your code (other)', /dist\//],
  ['Node other', /^node:|node_modules\//],
];

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function layerOf(frame: ProfileNode['callFrame']): string | undefined {
  if (frame.functionName === '(garbage collector)') return 'GC';
  if (frame.functionName === '(idle)' || frame.functionName === '(program)') return 'idle';
  const url = frame.url.replace(/\\/g, '/');
  if (!url) return undefined;
  for (const [layer, pattern] of LAYERS) if (pattern.test(url)) return layer;
  return 'Node other';
}

/** Microseconds of CPU per layer in `profile`, each node charged to its own layer or its nearest owner's. */
export function layerTimes(profile: Profile): Record<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const owner = new Map<number, string>();
  const assign = (node: ProfileNode, inherited: string) => {
    const layer = layerOf(node.callFrame) ?? inherited;
    owner.set(node.id, layer);
    for (const child of node.children ?? []) assign(byId.get(child)!, layer);
  };
  assign(profile.nodes[0], 'Node other');
  const times: Record<string, number> = {};
  profile.samples.forEach((id, index) => {
    const layer = owner.get(id) ?? 'Node other';
    times[layer] = (times[layer] ?? 0) + (profile.timeDeltas[index] ?? 0);
  });
  delete times.idle;
  return times;
}

/** A minimal inspector client: one WebSocket, request/answer by id. */
async function inspector(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
    webSocketDebuggerUrl: string;
  }>;
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((opened, failed) => {
    socket.onopen = opened;
    socket.onerror = failed;
  });
  const pending = new Map<number, (result: unknown) => void>();
  let next = 0;
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  };
  return {
    send: <T>(method: string, params: object = {}) =>
      new Promise<T>((answered) => {
        next += 1;
        pending.set(next, answered as (result: unknown) => void);
        socket.send(JSON.stringify({ id: next, method, params }));
      }),
    close: () => socket.close(),
  };
}

/**
 * Profiles the process whose inspector listens on `port` while `drive` runs, and answers µs of CPU per call for each
 * layer (`drive` answers how many calls it made).
 */
export async function cpuPerLayer(
  port: number,
  drive: () => Promise<number>,
): Promise<{ calls: number; microsPerCall: Record<string, number> }> {
  const session = await inspector(port);
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 100 });
  await session.send('Profiler.start');
  const calls = await drive();
  const { profile } = await session.send<{ profile: Profile }>('Profiler.stop');
  session.close();
  // BENCH_CPU_PROFILE=<file>: the raw profile too, for Chrome DevTools or a closer look.
  if (process.env.BENCH_CPU_PROFILE)
    writeFileSync(process.env.BENCH_CPU_PROFILE, JSON.stringify(profile));
  const times = layerTimes(profile);
  const microsPerCall = Object.fromEntries(
    Object.entries(times)
      .sort(([, a], [, b]) => b - a)
      .map(([layer, micros]) => [layer, Math.round(micros / Math.max(calls, 1))]),
  );
  return { calls, microsPerCall };
}
