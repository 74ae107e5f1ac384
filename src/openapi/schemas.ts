import { JsonSchema } from '../common/json-schema';

/** Building blocks for response schemas; each feature keeps its own schemas beside its view types. */
export const string = { type: 'string' };
export const integer = { type: 'integer' };
export const uuid = { type: 'string', format: 'uuid' };
export const dateTime = { type: 'string', format: 'date-time' };

/** The service's error body (see common/error-answer.ts). */
export const errorSchema: JsonSchema = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: integer,
    error: string,
    message: { oneOf: [string, { type: 'array', items: string }] },
    requestId: { ...string, description: 'On 5xx answers' },
  },
};

/** An error body with extra properties (a domain error's public details). */
export function errorSchemaWith(properties: Record<string, unknown>): JsonSchema {
  const base = errorSchema.properties as Record<string, unknown>;
  return { ...errorSchema, properties: { ...base, ...properties } };
}
