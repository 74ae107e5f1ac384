import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { loadAppConfig, nestLogLevels } from './config/app.config';
import { validateConfiguration } from './config';

async function bootstrap(): Promise<void> {
  validateConfiguration();
  const config = loadAppConfig();
  const logger = new ConsoleLogger({
    logLevels: nestLogLevels(config.logLevel),
    json: config.logFormat === 'json',
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    logger,
    bufferLogs: true,
  });
  configureApp(app, config);
  await app.listen(config.port);
  Logger.log(`Listening on ${await app.getUrl()}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  // Config errors name the variable and the rule, never a value.
  const message = error instanceof Error ? error.message : String(error);
  console.error(`Boot failed: ${message}`);
  process.exit(1);
});
