import { JsonSchema, jsonSchemaFor } from '../common/json-schema';
import { llmMetaSchema, spentSchema } from '../llm';
import { dateTime, integer, string, uuid } from '../openapi/schemas';
import { LessonContentDto } from './dto/lesson-content.dto';

/** API-docs schema of a stored lesson as the endpoints return it. */
export const lessonViewSchema: JsonSchema = {
  type: 'object',
  properties: {
    id: uuid,
    courseId: string,
    lessonId: string,
    difficulty: { type: 'integer', minimum: 1, maximum: 5 },
    profileId: uuid,
    adaptation: {
      type: 'string',
      nullable: true,
      enum: ['simplify_this', 'get_to_the_point', 'more_examples'],
    },
    content: jsonSchemaFor(LessonContentDto),
    generation: {
      type: 'object',
      properties: {
        pipeline: { type: 'string', enum: ['primary', 'fallback_lesson'] },
        cacheHit: { type: 'boolean' },
        durationMs: integer,
        spent: spentSchema,
        calls: {
          type: 'array',
          items: {
            allOf: [
              llmMetaSchema,
              {
                type: 'object',
                properties: {
                  step: {
                    type: 'string',
                    enum: ['generate', 'review', 'rewrite', 'fallback_lesson'],
                  },
                },
              },
            ],
          },
        },
      },
    },
    createdAt: dateTime,
  },
};
