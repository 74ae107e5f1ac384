import { ValidationPipe } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfiguration } from './app.configuration';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { jsonBodyMiddleware } from './common/json-body.middleware';
import { securityHeaders } from './common/security-headers';
import { cacheValidationMetadata } from './common/validation-metadata-cache';
import { setupOpenApi } from './openapi/swagger';

/** Everything main.ts and the e2e tests both apply to the app, so tests run the service as deployed. */
export function configureApp(
  app: NestExpressApplication,
  configuration: AppConfiguration,
): NestExpressApplication {
  const config = configuration.server;
  // Only JSON is parsed (the app is created with bodyParser: false, so no urlencoded parser exists), then checked
  // for depth and control characters.
  app.useBodyParser('json', { limit: config.bodyLimit });
  app.use(jsonBodyMiddleware);
  cacheValidationMetadata();
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      validationError: { target: false, value: false },
    }),
  );
  app.useGlobalFilters(new HttpExceptionFilter());
  app.disable('x-powered-by');
  // Swagger UI loads inline scripts and styles; the API itself needs no content security policy.
  app.use(securityHeaders({ contentSecurityPolicy: false }));
  const security = configuration.security;
  if (security.corsOrigins.length > 0) app.enableCors({ origin: security.corsOrigins });
  if (config.docsEnabled) setupOpenApi(app);
  return app;
}
