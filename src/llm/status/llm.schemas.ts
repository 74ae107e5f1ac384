import { JsonSchema } from '../../common/json-schema';
import { errorSchemaWith, integer, string } from '../../openapi/schemas';
import { FAILURE_KINDS } from '../llm.errors';
import { PROVIDER_ID } from '../routes';

/** API-docs schemas of what the LLM layer hands back: attempts, call meta, the all-routes-failed body. */
export const attemptSchema: JsonSchema = {
  type: 'object',
  required: ['provider', 'model', 'outcome'],
  properties: {
    // A vendor (openai, anthropic, gemini) or a named endpoint (LLM_ENDPOINTS).
    provider: { type: 'string', pattern: PROVIDER_ID.source },
    model: string,
    outcome: { type: 'string', enum: ['success', ...FAILURE_KINDS] },
    status: integer,
    durationMs: integer,
  },
};

/** Tokens and estimated cost of a request's attempts (`usd` null when a route has no known price). */
export const spentSchema: JsonSchema = {
  type: 'object',
  properties: {
    inputTokens: { type: 'integer' },
    cachedInputTokens: { type: 'integer' },
    outputTokens: { type: 'integer' },
    usd: { type: 'number', nullable: true },
  },
};

export const llmMetaSchema: JsonSchema = {
  type: 'object',
  properties: {
    provider: string,
    model: string,
    fallbackUsed: { type: 'boolean' },
    attempts: { type: 'array', items: attemptSchema },
    spent: spentSchema,
  },
};

/** The 503 body when every route failed: the error body plus every attempt. */
export const allRoutesFailedSchema: JsonSchema = errorSchemaWith({
  attempts: { type: 'array', items: attemptSchema, description: 'On 503: every attempt made' },
});
