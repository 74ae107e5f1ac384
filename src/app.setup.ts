import { createServer } from 'node:http';
import { ValidationPipe } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerFactory } from 'fastify';
import { AppConfiguration } from './app.configuration';
import { AUTH_GATE, AuthGate } from './common/auth-gate';
import { CompiledValidationPipe } from './common/compiled-validation.pipe';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { checkKeyBeforeBody, registerHttpHooks } from './common/http-hooks';
import { parseByteSize, registerJsonBody } from './common/json-body';
import { recordHelmetHeaders } from './common/security-headers';
import { trackEndpoints } from './common/unknown-endpoint';
import { cacheValidationMetadata } from './common/validation-metadata-cache';
import { setupOpenApi } from './openapi/swagger';

/** What the profile and lesson endpoints take at most: a few small fields. */
const SMALL_BODY_BYTES = 16 * 1024;
/** How often Node checks incomplete requests against the header and request timeouts. */
const TIMEOUT_CHECK_MS = 1_000;

/** The HTTP adapter both main.ts and the e2e tests build the app on: Fastify, on a Node server with its limits. */
export function createHttpAdapter(configuration: AppConfiguration): FastifyAdapter {
  const server = configuration.server;
  return new FastifyAdapter({
    bodyLimit: parseByteSize(server.bodyLimit),
    requestTimeout: server.timeouts.requestTimeoutMs,
    keepAliveTimeout: server.timeouts.keepAliveTimeoutMs,
    // The service's own request ids and logs (see common/http-hooks.ts).
    logger: false,
    serverFactory: ((handler) => {
      const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxConnections } =
        server.timeouts;
      const http = createServer(
        {
          connectionsCheckingInterval: TIMEOUT_CHECK_MS,
          headersTimeout: headersTimeoutMs,
          requestTimeout: requestTimeoutMs,
          keepAliveTimeout: keepAliveTimeoutMs,
        },
        handler,
      );
      http.maxConnections = maxConnections;
      return http;
    }) as FastifyServerFactory,
  });
}

/** Everything main.ts and the e2e tests both apply to the app, so tests run the service as deployed. */
export function configureApp(
  app: NestFastifyApplication,
  configuration: AppConfiguration,
): NestFastifyApplication {
  const { server, observability, security } = configuration;
  const fastify = app.getHttpAdapter().getInstance();
  trackEndpoints(fastify);
  registerHttpHooks(fastify, {
    // Swagger UI loads inline scripts and styles; the API itself needs no content security policy.
    securityHeaders: recordHelmetHeaders({ contentSecurityPolicy: false }),
    tracing: observability.tracing.tracesUrl !== undefined,
    requestLog: observability.logLevel === 'debug',
  });
  // A request with a body is refused before its body is read when its key is wrong.
  checkKeyBeforeBody(fastify, app.get<AuthGate>(AUTH_GATE));
  // Only JSON is read, up to each route's own limit: the gateway takes BODY_LIMIT, everything else a few KB.
  const gatewayLimit = parseByteSize(server.bodyLimit);
  registerJsonBody(fastify, {
    maxBytes: gatewayLimit,
    routeLimit: (route) => (route?.startsWith('/v1/') ? gatewayLimit : SMALL_BODY_BYTES),
  });
  cacheValidationMetadata();
  app.useGlobalPipes(
    new CompiledValidationPipe(
      new ValidationPipe({
        whitelist: true,
        forbidNonWhitelisted: true,
        forbidUnknownValues: true,
        transform: true,
        validationError: { target: false, value: false },
      }),
    ),
  );
  app.useGlobalFilters(new HttpExceptionFilter({ listEndpoints: security.apiKeys.length === 0 }));
  if (security.corsOrigins.length > 0) app.enableCors({ origin: security.corsOrigins });
  if (server.docsEnabled) setupOpenApi(app);
  return app;
}
