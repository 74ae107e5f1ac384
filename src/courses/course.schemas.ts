import { JsonSchema, requestSchemaFor } from '../common/json-schema';
import { string } from '../openapi/schemas';
import { CourseDefinition } from './course.definition';

/** API-docs schemas of the catalogue. */
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
