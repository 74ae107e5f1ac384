import { Controller, Get, Param } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { asSchema, ApiReadErrors } from '../openapi/api-docs.decorators';
import { errorSchema } from '../openapi/schemas';
import { CourseDefinition } from './course.definition';
import { courseSchema, courseSummarySchema } from './course.schemas';
import { CoursesService } from './courses.service';

export interface CourseSummary {
  id: string;
  title: string;
  description: string;
  lessons: Array<{ id: string; title: string }>;
}

function summary(course: CourseDefinition): CourseSummary {
  return {
    id: course.id,
    title: course.title,
    description: course.description,
    lessons: course.lessons.map(({ id, title }) => ({ id, title })),
  };
}

@ApiTags('courses')
@ApiSecurity('apiKey')
@Controller('courses')
export class CoursesController {
  constructor(private readonly courses: CoursesService) {}

  @Get()
  @ApiOperation({ summary: 'The course catalogue' })
  @ApiResponse({
    status: 200,
    description: 'Courses with their lessons',
    schema: asSchema({ type: 'array', items: courseSummarySchema }),
  })
  @ApiResponse({
    status: 401,
    description: 'Missing or invalid API key',
    schema: asSchema(errorSchema),
  })
  list(): CourseSummary[] {
    return this.courses.list().map(summary);
  }

  /** The course with its lessons in full: objectives, key concepts and the misconceptions each corrects. */
  @Get(':courseId')
  @ApiOperation({ summary: 'One course with its lessons in full' })
  @ApiResponse({ status: 200, description: 'The course', schema: asSchema(courseSchema) })
  @ApiReadErrors()
  findOne(@Param('courseId') courseId: string): CourseDefinition {
    return this.courses.find(courseId);
  }
}
