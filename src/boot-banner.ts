import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { AppConfiguration } from './app.configuration';
import { Route } from './llm';

/**
 * Reads `.env` from the working directory into the environment, if there is one; the real environment wins.
 * Returns the file read (for the boot log: its name, never its values).
 */
export function loadDotEnv(
  cwd = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const file = resolve(cwd, '.env');
  if (!existsSync(file)) return undefined;
  // Node's own parser (the one --env-file uses).
  for (const [name, value] of Object.entries(parseEnv(readFileSync(file, 'utf8'))))
    if (env[name] === undefined) env[name] = value;
  return file;
}

/** The URL a person can open for an address the server bound (every interface → localhost). */
export function reachableUrl(host: string, port: number): string {
  const local = host === '::' || host === '0.0.0.0' || host === '' || host === '::1';
  const name = local ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

/** The few lines printed once the service listens: where it is, what answers, where to look. */
export function bootBanner(
  configuration: AppConfiguration,
  routes: readonly Route[],
  envFile: string | undefined,
): string[] {
  const { host, port } = configuration.server;
  const url = reachableUrl(host, port);
  const everywhere = host === '::' || host === '0.0.0.0';
  const simulated = configuration.llm.routes.simulator === 'on';
  const docs = configuration.server.docsEnabled ? `, ${url}/docs (API)` : '';
  return [
    `Listening on ${everywhere ? `every interface, port ${port}` : `${host}:${port}`} (${url})`,
    simulated
      ? 'Answers are SIMULATED (no provider key): set GEMINI_API_KEY, OPENAI_API_KEY or ANTHROPIC_API_KEY for real models'
      : `Routes with a key, in order: ${routes.map((route) => `${route.provider}:${route.model}`).join(' → ')}`,
    `Settings: ${envFile ? `the environment and ${envFile} (the environment wins)` : 'the environment (no .env file)'}`,
    `Look at ${url}/status (routes, failovers, cost)${docs}; OpenAI-compatible API at ${url}/v1`,
  ];
}
