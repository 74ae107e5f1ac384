import { Controller, Get, Param } from '@nestjs/common';
import { CourseDefinition } from './course.definition';
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

@Controller('courses')
export class CoursesController {
  constructor(private readonly courses: CoursesService) {}

  @Get()
  list(): CourseSummary[] {
    return this.courses.list().map(summary);
  }

  /** The course with its lessons in full: objectives, key concepts and the misconceptions each corrects. */
  @Get(':courseId')
  findOne(@Param('courseId') courseId: string): CourseDefinition {
    return this.courses.find(courseId);
  }
}
