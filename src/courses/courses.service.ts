import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { CONTENT_ROOT } from '../common/content-path';
import { NotFoundError } from '../common/domain-error';
import { CourseDefinition, LessonDefinition } from './course.definition';

const COURSES_DIR = join(CONTENT_ROOT, 'courses');

function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    return [
      ...Object.values(error.constraints ?? {}).map((rule) => `${path}: ${rule}`),
      ...describe(error.children ?? [], path),
    ];
  });
}

/** Parses and validates one course file; throws naming the file and every broken rule. */
export function loadCourse(file: string, text: string): CourseDefinition {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`Course file ${file} is not valid JSON`);
  }
  const course = plainToInstance(CourseDefinition, raw);
  const problems = describe(validateSync(course, { whitelist: true, forbidNonWhitelisted: true }));
  const ids = course.lessons?.map((lesson) => lesson.id) ?? [];
  if (new Set(ids).size !== ids.length) problems.push('lessons: lesson ids must be unique');
  if (problems.length > 0)
    throw new Error(`Course file ${file} is invalid: ${problems.join('; ')}`);
  return course;
}

/** The built-in catalogue, read from content/courses at boot. */
@Injectable()
export class CoursesService {
  private readonly logger = new Logger(CoursesService.name);
  private readonly courses: CourseDefinition[];

  constructor() {
    const files = readdirSync(COURSES_DIR)
      .filter((file) => file.endsWith('.json'))
      .sort();
    this.courses = files.map((file) =>
      loadCourse(file, readFileSync(join(COURSES_DIR, file), 'utf8')),
    );
    const ids = this.courses.map((course) => course.id);
    if (new Set(ids).size !== ids.length)
      throw new Error('Course ids must be unique across content/courses');
    this.logger.log(
      `Catalogue: ${this.courses.map((course) => `${course.id} (${course.lessons.length} lessons)`).join(', ')}`,
    );
  }

  list(): CourseDefinition[] {
    return this.courses;
  }

  find(courseId: string): CourseDefinition {
    const course = this.courses.find((candidate) => candidate.id === courseId);
    if (!course) throw new NotFoundError(`Course ${courseId} not found`);
    return course;
  }

  findLesson(
    courseId: string,
    lessonId: string,
  ): { course: CourseDefinition; lesson: LessonDefinition } {
    const course = this.find(courseId);
    const lesson = course.lessons.find((candidate) => candidate.id === lessonId);
    if (!lesson) throw new NotFoundError(`Lesson ${lessonId} not found in course ${courseId}`);
    return { course, lesson };
  }
}
