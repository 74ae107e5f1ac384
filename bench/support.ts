import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '../test/support/temporary-database';

export { freePort, temporaryPostgresDatabase } from '../test/support/temporary-database';

export const ROOT = resolve(__dirname, '..');
export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export interface RunningService {
  url: string;
  child: ChildProcess;
  stop: () => Promise<number | null>;
}

/**
 * The Node options the service is deployed with, read from the Dockerfile's `NODE_OPTIONS` (a bounded old
 * generation, 16 MiB semi-spaces), so benchmarks and the soak measure memory as it runs in production.
 */
export const DEPLOYED_NODE_OPTIONS =
  /NODE_OPTIONS="([^"]*)"/.exec(readFileSync(resolve(ROOT, 'Dockerfile'), 'utf8'))?.[1] ?? '';

/** Starts the built service (`dist/main.js` under `root`) with the given environment and waits for readiness. */
export async function startService(
  env: Record<string, string>,
  nodeOptions = DEPLOYED_NODE_OPTIONS,
  root = ROOT,
): Promise<RunningService> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: nodeOptions,
      PORT: String(port),
      LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/health/ready`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 30_000) throw new Error('service did not become ready in 30 s');
    await sleep(100);
  }
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit') as Promise<[number | null]>;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
  };
}

/** The service's resident memory, from its own /metrics. */
export function serviceRss(url: string): Promise<number> {
  return serviceMetric(url, 'process_resident_memory_bytes');
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * A value from the service's /metrics: the sum of the series of `name` whose labels include all of `labels` (every
 * series of it without), NaN when there is none.
 */
export async function serviceMetric(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const values = text
    .split('\n')
    .filter(
      (line) =>
        (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) &&
        wanted.every((label) => line.includes(label)),
    )
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
  return values.length === 0 ? NaN : values.reduce((sum, value) => sum + value, 0);
}

/**
 * The provider simulator as its own process (`dist/simulate.js`), answering after `latencyMs`; resolves once its
 * control API answers (30 s at most), and fails with the process's exit code when it exits first.
 */
export async function startSimulatorProcess(
  latencyMs: number,
): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/simulate.js'], {
    cwd: ROOT,
    env: { ...process.env, SIMULATOR_PORT: String(port), SIMULATOR_LATENCY_MS: String(latencyMs) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`simulator exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/__simulator/counts`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 30_000) {
      child.kill('SIGTERM');
      throw new Error('simulator did not answer in 30 s');
    }
    await sleep(100);
  }
  return { url, stop: () => child.kill('SIGTERM') };
}

export interface Stat {
  median: number;
  min: number;
  max: number;
}
export const stat = (values: number[]): Stat => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: round(percentile(sorted, 50)),
    min: round(sorted[0]),
    max: round(sorted[sorted.length - 1]),
  };
};
export const round = (value: number) => Math.round(value * 1000) / 1000;

export async function timeCalls(call: () => Promise<unknown>, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  return times;
}
