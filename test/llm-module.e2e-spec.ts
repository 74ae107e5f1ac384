import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IsString } from 'class-validator';
import {
  LlmModule,
  LlmModuleOptions,
  LlmService,
  LlmStatusService,
  parseRouteList,
} from '../src/llm';
import { ProviderSimulator } from '../src/simulator/provider-simulator';

class Answer {
  @IsString()
  text: string;
}

/** A consumer in another app: it injects LlmService without importing LlmModule itself (global by default). */
@Injectable()
class Summariser {
  constructor(readonly llm: LlmService) {}

  summarise(prompt: string) {
    return this.llm.generateObject({
      schema: Answer,
      schemaName: 'answer',
      system: 'You summarise.',
      prompt,
    });
  }
}

@Module({ providers: [Summariser] })
class FeatureModule {}

/** Host settings another app would read from its own configuration. */
@Injectable()
class HostSettings {
  constructor(readonly simulatorUrl: string) {}
}

function options(simulator: ProviderSimulator): LlmModuleOptions {
  return {
    routes: {
      chain: parseRouteList('openai:host-primary,anthropic:host-fallback'),
      providers: {
        openai: { apiKey: 'host-openai-key', baseUrl: simulator.baseUrls.openai },
        anthropic: { apiKey: 'host-anthropic-key', baseUrl: simulator.baseUrls.anthropic },
      },
    },
    timeouts: { attemptMs: 2_000, requestMs: 5_000 },
    probes: { intervalMs: 600_000 },
  };
}

describe('LlmModule in a bare Nest app (its own chain, keys and timeouts)', () => {
  const simulator = new ProviderSimulator();
  beforeAll(() => simulator.start());
  afterAll(() => simulator.stop());
  beforeEach(() => simulator.reset());

  it('forRoot: falls back across its own chain through the real SDKs', async () => {
    @Module({ imports: [LlmModule.forRoot(options(simulator)), FeatureModule] })
    class HostModule {}
    const app = await NestFactory.createApplicationContext(HostModule, { logger: false });
    try {
      simulator.script('openai:host-primary', 'overloaded');
      const llm = app.get(LlmService);
      expect(llm.routes().map((route) => `${route.provider}:${route.model}`)).toEqual([
        'openai:host-primary',
        'anthropic:host-fallback',
      ]);

      const result = await app.get(Summariser).summarise('Summarise this.');

      expect(result.value).toBeInstanceOf(Answer);
      expect(result.meta).toMatchObject({
        provider: 'anthropic',
        model: 'host-fallback',
        fallbackUsed: true,
      });
      expect(simulator.routesSeen()).toEqual(['openai:host-primary', 'anthropic:host-fallback']);
      expect(app.get(LlmStatusService).status().sticky).toMatchObject({
        provider: 'anthropic',
        reason: 'overloaded',
      });
    } finally {
      await app.close();
    }
  });

  it('forRootAsync: options from a factory over the host app’s own providers', async () => {
    @Module({
      providers: [{ provide: HostSettings, useValue: new HostSettings(simulator.url) }],
      exports: [HostSettings],
    })
    class HostConfigModule {}
    @Module({
      imports: [
        LlmModule.forRootAsync({
          imports: [HostConfigModule],
          inject: [HostSettings],
          useFactory: (settings: HostSettings) => ({
            ...options(simulator),
            routes: {
              chain: parseRouteList('gemini:host-gemini'),
              providers: { gemini: { apiKey: 'host-gemini-key', baseUrl: settings.simulatorUrl } },
            },
          }),
        }),
        FeatureModule,
      ],
    })
    class HostModule {}
    const app = await NestFactory.createApplicationContext(HostModule, { logger: false });
    try {
      const result = await app.get(Summariser).summarise('Summarise this.');
      expect(result.meta).toMatchObject({
        provider: 'gemini',
        model: 'host-gemini',
        fallbackUsed: false,
      });
      expect(app.get(LlmService).supports({ provider: 'openai', model: 'x' })).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
