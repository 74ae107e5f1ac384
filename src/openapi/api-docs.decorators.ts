import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { JsonSchema } from '../common/json-schema';
import { errorSchema } from './schemas';

type Schema = Parameters<typeof ApiResponse>[0] extends infer Options
  ? Options extends { schema?: infer S }
    ? S
    : never
  : never;

export const asSchema = (schema: JsonSchema) => schema as unknown as Schema;

const retryAfter = {
  'Retry-After': { description: 'Seconds before trying again', schema: { type: 'integer' } },
};

/**
 * The error answers every generating endpoint can give, in the endpoint's own error format (`errorBody`: the
 * service's error body with the LLM layer's attempts, or OpenAI's error shape).
 */
export function ApiGeneratingErrors(errorBody: JsonSchema) {
  const schema = asSchema(errorBody);
  return applyDecorators(
    ApiResponse({ status: 400, description: 'Invalid input (nothing reached a provider)', schema }),
    ApiResponse({
      status: 401,
      description: 'Missing or invalid API key (when API_KEYS is set)',
      schema,
    }),
    ApiResponse({ status: 413, description: 'Body larger than BODY_LIMIT', schema }),
    ApiResponse({
      status: 429,
      description: 'Rate limit per client key reached',
      schema,
      headers: retryAfter,
    }),
    ApiResponse({
      status: 503,
      description:
        'Every LLM route failed (or every provider is at its concurrency limit); body lists each attempt',
      schema,
      headers: retryAfter,
    }),
  );
}

export function ApiReadErrors() {
  const schema = asSchema(errorSchema);
  return applyDecorators(
    ApiResponse({ status: 400, description: 'Malformed id', schema }),
    ApiResponse({
      status: 401,
      description: 'Missing or invalid API key (when API_KEYS is set)',
      schema,
    }),
    ApiResponse({ status: 404, description: 'Not found', schema }),
  );
}

export const ApiRequestId = () =>
  ApiHeader({
    name: 'x-request-id',
    required: false,
    description: 'Echoed back; generated when absent',
  });
