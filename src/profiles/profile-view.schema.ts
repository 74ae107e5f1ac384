import { JsonSchema, jsonSchemaFor } from '../common/json-schema';
import { llmMetaSchema } from '../llm';
import { dateTime, string, uuid } from '../openapi/schemas';
import { GeneratedProfileDto } from './dto/generated-profile.dto';

/** API-docs schema of a stored profile as the endpoints return it. */
export const profileViewSchema: JsonSchema = {
  type: 'object',
  properties: {
    id: uuid,
    profile: {
      allOf: [
        {
          type: 'object',
          properties: {
            profession: string,
            industry: string,
            experienceLevel: { type: 'string', enum: ['Beginner', 'Intermediate', 'Advanced'] },
          },
        },
        jsonSchemaFor(GeneratedProfileDto),
      ],
    },
    generatedFromCache: { type: 'boolean' },
    llm: llmMetaSchema,
    createdAt: dateTime,
  },
};
