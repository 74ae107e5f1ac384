import { CourseDefinition } from '../courses/course.definition';
import { LessonContentDto } from '../lessons/dto/lesson-content.dto';
import { JsonSchema } from '../llm/llm.types';
import { FAILURE_KINDS } from '../llm/llm.errors';
import { jsonSchemaFor, requestSchemaFor } from '../llm/structured-output';
import { GeneratedProfileDto } from '../profiles/dto/generated-profile.dto';

/** Response schemas for the API docs; request schemas come from the DTO classes themselves. */
const string = { type: 'string' };
const integer = { type: 'integer' };
const uuid = { type: 'string', format: 'uuid' };
const dateTime = { type: 'string', format: 'date-time' };

export const attemptSchema: JsonSchema = {
  type: 'object',
  required: ['provider', 'model', 'outcome'],
  properties: {
    provider: { type: 'string', enum: ['openai', 'anthropic', 'gemini'] },
    model: string,
    outcome: { type: 'string', enum: ['success', ...FAILURE_KINDS] },
    status: integer,
    durationMs: integer,
  },
};

export const llmMetaSchema: JsonSchema = {
  type: 'object',
  properties: {
    provider: string,
    model: string,
    fallbackUsed: { type: 'boolean' },
    attempts: { type: 'array', items: attemptSchema },
  },
};

export const errorSchema: JsonSchema = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: integer,
    error: string,
    message: { oneOf: [string, { type: 'array', items: string }] },
    attempts: { type: 'array', items: attemptSchema, description: 'On 503: every attempt made' },
    requestId: string,
  },
};

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

export const courseSummarySchema: JsonSchema = {
  type: 'object',
  properties: {
    id: string,
    title: string,
    description: string,
    lessons: {
      type: 'array',
      items: { type: 'object', properties: { id: string, title: string } },
    },
  },
};

export const courseSchema: JsonSchema = requestSchemaFor(CourseDefinition);

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

export const healthSchema: JsonSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'error'] },
    info: { type: 'object' },
    error: { type: 'object' },
    details: { type: 'object' },
  },
};
