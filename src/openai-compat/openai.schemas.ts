import { JsonSchema } from '../common/json-schema';
import { integer, string } from '../openapi/schemas';

/** API-docs schemas of the OpenAI-compatible endpoints. */
export const openAiErrorSchema: JsonSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        message: string,
        type: string,
        param: { type: 'string', nullable: true },
        code: { type: 'string', nullable: true },
      },
    },
  },
};

export const chatCompletionSchema: JsonSchema = {
  type: 'object',
  properties: {
    id: string,
    object: { type: 'string', enum: ['chat.completion'] },
    created: integer,
    model: { type: 'string', description: 'The route that answered, provider:model' },
    choices: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          index: integer,
          message: { type: 'object', properties: { role: string, content: string } },
          finish_reason: { type: 'string', enum: ['stop', 'length'] },
        },
      },
    },
    usage: {
      type: 'object',
      properties: { prompt_tokens: integer, completion_tokens: integer, total_tokens: integer },
    },
  },
};

export const modelListSchema: JsonSchema = {
  type: 'object',
  properties: {
    object: { type: 'string', enum: ['list'] },
    data: {
      type: 'array',
      items: { type: 'object', properties: { id: string, object: string, owned_by: string } },
    },
  },
};
