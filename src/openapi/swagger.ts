import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Resilient LLM backend')
    .setDescription(
      'Learner profiles, personalised lessons and an OpenAI-compatible endpoint over a fallback layer across OpenAI, Anthropic and Gemini. Every failing route answers 503 with Retry-After and the list of attempts.',
    )
    .setVersion('0.1.0')
    .addApiKey({ type: 'apiKey', name: 'x-api-key', in: 'header' }, 'apiKey')
    .addBearerAuth()
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** `/docs` (Swagger UI) and `/docs-json` (the OpenAPI document). */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
  });
}
