import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Registry } from 'prom-client';
import { loadConfiguration, longestRequestMs } from './app.configuration';
import { AppModule } from './app.module';
import { configureApp, createHttpAdapter } from './app.setup';
import { bootBanner, loadDotEnv } from './boot-banner';
import { guardProcess } from './common/process-guards';
import { ServiceLogger } from './common/service-logger';
import { nestLogLevels } from './config/observability.config';
import { LlmService } from './llm';
import { startTracing } from './observability/tracing';

/** Margin past the drain and the longest request before a stuck shutdown gives up. */
const SHUTDOWN_MARGIN_MS = 5_000;

async function bootstrap(): Promise<void> {
  const envFile = loadDotEnv();
  const configuration = loadConfiguration(process.env);
  const { server, observability } = configuration;
  // Before the app is built: the trace context must be in place for every request.
  const tracing = await startTracing(observability.tracing);
  const logger = new ServiceLogger({
    logLevels: nestLogLevels(observability.logLevel),
    json: observability.logFormat === 'json',
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(configuration),
    createHttpAdapter(configuration),
    { logger, bodyParser: false, bufferLogs: true },
  );
  guardProcess(logger, app.get(Registry));
  configureApp(app, configuration);
  await app.listen(server.port, server.host);
  for (const line of bootBanner(configuration, app.get(LlmService).routes(), envFile))
    Logger.log(line, 'Bootstrap');

  // Graceful shutdown: readiness 503 and drain, in-flight requests finish, probes stop, connections close, exit 0.
  const shutdownLimitMs =
    server.shutdownDrainMs + longestRequestMs(configuration) + SHUTDOWN_MARGIN_MS;
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    Logger.log(`${signal} received`, 'Bootstrap');
    setTimeout(() => {
      Logger.error(`Shutdown did not finish within ${shutdownLimitMs} ms; exiting`, 'Bootstrap');
      process.exit(1);
    }, shutdownLimitMs).unref();
    app
      .close()
      .then(() => tracing?.shutdown())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        Logger.error(`Shutdown failed: ${String(error)}`, 'Bootstrap');
        process.exit(1);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

bootstrap().catch((error: unknown) => {
  // Config errors name the variable and the rule, never a value.
  const message = error instanceof Error ? error.message : String(error);
  console.error(`Boot failed: ${message}`);
  process.exit(1);
});
