import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ProviderSimulator } from '../simulator/provider-simulator';

/**
 * Runs the provider simulator inside the service on a free loopback port when no provider key is set (or
 * LLM_SIMULATOR=true), so `npm start` works on a fresh machine. Stopped at shutdown.
 */
@Injectable()
export class EmbeddedSimulatorService implements OnApplicationShutdown {
  private readonly logger = new Logger(EmbeddedSimulatorService.name);
  private simulator: ProviderSimulator | undefined;

  async start(reason: string): Promise<ProviderSimulator> {
    if (this.simulator) return this.simulator;
    const simulator = new ProviderSimulator({ latencyMs: 50 });
    await simulator.start(0, '127.0.0.1');
    this.simulator = simulator;
    const banner = '*'.repeat(78);
    this.logger.warn(banner);
    this.logger.warn(
      `SIMULATED ANSWERS: ${reason}; every provider is the embedded simulator at ${simulator.url}.`,
    );
    this.logger.warn(
      'Set OPENAI_API_KEY, ANTHROPIC_API_KEY and/or GEMINI_API_KEY for real models.',
    );
    this.logger.warn(banner);
    return simulator;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.simulator?.stop();
    this.simulator = undefined;
  }
}
