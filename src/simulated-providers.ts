import { Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { SERVER_CONFIG, ServerConfig } from './config/server.config';
import { simulatedLessonAnswer } from './lessons/lesson-fixture';
import { LlmConfig, PROVIDER_NAMES } from './llm';
import { ProviderSimulator, SimulatorOptions } from './simulator/provider-simulator';

/**
 * The provider simulator with this application's fixtures plugged in (lesson prompts get lessons that follow the
 * lesson rules). Used by the zero-key default, `npm run simulator`, the e2e tests and the benchmarks.
 */
export function appSimulator(options: Omit<SimulatorOptions, 'structuredAnswers'> = {}) {
  return new ProviderSimulator({ ...options, structuredAnswers: [simulatedLessonAnswer] });
}

/**
 * Zero-key default: when the LLM configuration says the providers are simulated, the composition root starts the
 * simulator in this process on a free loopback port and hands its base URLs to the LLM layer, which never knows.
 * Stopped at shutdown.
 */
@Injectable()
export class EmbeddedSimulator implements OnApplicationShutdown {
  private readonly logger = new Logger(EmbeddedSimulator.name);
  private simulator: ProviderSimulator | undefined;

  constructor(
    @Inject(SERVER_CONFIG) private readonly server: Pick<ServerConfig, 'simulatorControl'>,
  ) {}

  /** The LLM configuration with every provider pointed at the running simulator (started on first use). */
  async serve(llm: LlmConfig): Promise<LlmConfig> {
    if (llm.routes.simulator !== 'on') return llm;
    const simulator = this.simulator ?? (await this.start());
    const connection = (baseUrl: string) => ({ apiKey: 'simulated', baseUrl });
    const providers = Object.fromEntries([
      ...PROVIDER_NAMES.map((name) => [name, connection(simulator.baseUrls[name])] as const),
      // Each named endpoint (LLM_ENDPOINTS) is the simulator's OpenAI API under its own path.
      ...llm.routes.endpoints.map(
        ({ name }) => [name, connection(simulator.endpointUrl(name))] as const,
      ),
    ]);
    this.announce(llm.routes.simulatorReason ?? 'simulator enabled', simulator.url);
    return { ...llm, routes: { ...llm.routes, providers } };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.simulator?.stop();
    this.simulator = undefined;
  }

  private async start(): Promise<ProviderSimulator> {
    // A test double, not an attack surface: its control API is off unless asked for.
    const simulator = appSimulator({ latencyMs: 50, control: this.server.simulatorControl });
    await simulator.start(0, '127.0.0.1');
    this.simulator = simulator;
    return simulator;
  }

  private announce(reason: string, url: string): void {
    const banner = '*'.repeat(78);
    this.logger.warn(banner);
    this.logger.warn(
      `SIMULATED ANSWERS: ${reason}; every provider is the embedded simulator at ${url}.`,
    );
    this.logger.warn(
      'Set OPENAI_API_KEY, ANTHROPIC_API_KEY and/or GEMINI_API_KEY for real models.',
    );
    this.logger.warn(banner);
  }
}

@Module({ providers: [EmbeddedSimulator], exports: [EmbeddedSimulator] })
export class EmbeddedSimulatorModule {}
