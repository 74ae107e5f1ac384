import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import OpenAI from 'openai';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { loadConfiguration } from '../../src/app.configuration';
import { AppModule } from '../../src/app.module';
import { configureApp, createHttpAdapter } from '../../src/app.setup';
import { realmSafeFetch } from '../../src/llm/providers/realm-safe-fetch';
import { RouteStateRegistry } from '../../src/llm/route-state/route-state.registry';
import { appSimulator } from '../../src/simulated-providers';
import { ProviderSimulator } from '../../src/simulator/provider-simulator';
import { CapturingLogger } from './capturing-logger';
import { temporaryPostgresDatabase } from './temporary-database';

export const PRIMARY = 'gemini:gemini-3-flash-preview';
export const GEMINI_FALLBACK = 'gemini:gemini-2.5-flash';
export const OPENAI = 'openai:gpt-4o-mini';
export const ANTHROPIC = 'anthropic:claude-haiku-4-5-20251001';

/** Recognisable fake keys: tests check that no fragment of them leaks. */
export const FAKE_KEYS = {
  OPENAI_API_KEY: 'fake-openai-key-QWERTY1234567890',
  ANTHROPIC_API_KEY: 'fake-anthropic-key-ASDFGH1234567890',
  GEMINI_API_KEY: 'fake-gemini-key-ZXCVBN1234567890',
};

export interface TestApp {
  app: NestFastifyApplication;
  http: () => TestAgent;
  simulator: ProviderSimulator;
  logs: CapturingLogger;
  /** Moves every chain's traffic (the service's and the gateway's) back to its primary (tests that each start there). */
  resetRouting: () => void;
  close: () => Promise<void>;
}

/**
 * Boots the real AppModule, configured as main.ts does, with every SDK pointed at a provider simulator on
 * loopback and an in-memory PGlite. The configuration is read from a test environment (never `process.env`, which
 * stays untouched): the defaults below, with `env` overriding or (with undefined) removing variables.
 */
export async function startTestApp(
  env: Record<string, string | undefined> = {},
  existingSimulator?: ProviderSimulator,
): Promise<TestApp> {
  const simulator = existingSimulator ?? appSimulator();
  if (!existingSimulator) await simulator.start();
  // With E2E_DATABASE_URL=postgres://…/postgres every test app gets a database of its own on that server (dropped
  // at close), so suites running in parallel never see each other's rows. Without it: in-memory PGlite.
  const admin = process.env.E2E_DATABASE_URL;
  const database =
    env.DATABASE_URL !== undefined
      ? undefined
      : admin
        ? await temporaryPostgresDatabase(admin, 'e2e')
        : { url: 'pglite://memory', drop: async () => undefined };
  const values: Record<string, string | undefined> = {
    ...FAKE_KEYS,
    OPENAI_BASE_URL: simulator.baseUrls.openai,
    ANTHROPIC_BASE_URL: simulator.baseUrls.anthropic,
    GEMINI_BASE_URL: simulator.baseUrls.gemini,
    DATABASE_URL: database?.url,
    LLM_PROVIDER: undefined,
    LLM_MODEL: undefined,
    LLM_FALLBACKS: undefined,
    LLM_SIMULATOR: undefined,
    LLM_ATTEMPT_TIMEOUT_MS: '1500',
    LLM_REQUEST_TIMEOUT_MS: '8000',
    NODE_ENV: 'test',
    API_KEYS: undefined,
    // Suites send hundreds of requests a minute; security.e2e-spec.ts tests the limit itself.
    RATE_LIMIT_PER_MINUTE: '100000',
    // No recovery probes in the middle of a test's attempt counts: recovery.e2e-spec.ts sets its own interval.
    LLM_HEALTHCHECK_INTERVAL_MS: '600000',
    ...env,
  };
  const logs = new CapturingLogger();
  let app: NestFastifyApplication;
  try {
    const configuration = loadConfiguration(values);
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot(configuration)],
    })
      .setLogger(logs)
      .compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(
      createHttpAdapter(configuration),
      { logger: logs, bodyParser: false },
    );
    configureApp(app, configuration);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  } catch (error) {
    if (!existingSimulator) await simulator.stop();
    await database?.drop();
    throw error;
  }
  return {
    app,
    http: () => request(app.getHttpServer()),
    simulator,
    logs,
    resetRouting: () =>
      app
        .get(RouteStateRegistry)
        .all()
        .forEach((state) => state.reset()),
    close: async () => {
      await app.close();
      if (!existingSimulator) await simulator.stop();
      await database?.drop();
    },
  };
}

export const nurse = { profession: 'Nurse', industry: 'Healthcare', experienceLevel: 'Beginner' };

let counter = 0;
const run = randomUUID().slice(0, 8);
/** A profile request no earlier test has stored, so it always reaches the LLM layer. */
export function uniqueProfile(): typeof nurse {
  counter += 1;
  return {
    profession: `Analyst ${run} ${counter}`,
    industry: 'Finance',
    experienceLevel: 'Intermediate',
  };
}

/** An attempt as the API reports it. */
export interface AttemptBody {
  provider: string;
  model: string;
  outcome: string;
  status?: number;
  durationMs?: number;
}

/** `provider:model` of an attempt, the form the simulator records. */
export const route = (attempt: AttemptBody) => `${attempt.provider}:${attempt.model}`;

/**
 * The official openai SDK pointed at the app's `/v1` (the app starts listening on a loopback port), with the SDK's
 * own retries off as the README advises.
 */
export async function openAiClientFor(
  t: TestApp,
  apiKey = 'unused-by-the-service',
): Promise<OpenAI> {
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return new OpenAI({
    apiKey,
    baseURL: `http://127.0.0.1:${port}/v1`,
    maxRetries: 0,
    timeout: 20_000,
    fetch: realmSafeFetch(),
  });
}
