import { Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { DatabaseService } from '../database/database.service';
import { placeholders, preparedFindOne } from '../database/prepared';
import { LessonRow, lessons, NewLessonRow } from '../database/schema';

/** Built once and prepared by name, as the profiles' statements are (see ProfilesRepository). */
@Injectable()
export class LessonsRepository {
  readonly findById: (id: string) => Promise<LessonRow | undefined>;
  readonly findByCacheKey: (cacheKey: string) => Promise<LessonRow | undefined>;
  private readonly upsertStatement;

  constructor({ db }: DatabaseService) {
    this.findById = preparedFindOne(db, lessons, lessons.id, 'lesson_by_id');
    this.findByCacheKey = preparedFindOne(db, lessons, lessons.cacheKey, 'lesson_by_cache_key');
    this.upsertStatement = db
      .insert(lessons)
      .values(
        placeholders(
          'id',
          'owner',
          'cacheKey',
          'courseId',
          'lessonId',
          'difficulty',
          'profileId',
          'adaptation',
          'promptVersion',
          'content',
          'generation',
        ),
      )
      .onConflictDoUpdate({
        target: lessons.cacheKey,
        set: {
          content: sql`excluded.content`,
          generation: sql`excluded.generation`,
          updatedAt: sql`now()`,
        },
      })
      .returning()
      .prepare('lesson_upsert');
  }

  /** Inserts, or replaces the stored lesson with the same cache key while keeping its id. */
  async upsert(row: NewLessonRow): Promise<LessonRow> {
    // Every placeholder needs a value: no adaptation is stored as NULL.
    const [stored] = await this.upsertStatement.execute({
      ...row,
      adaptation: row.adaptation ?? null,
    });
    return stored;
  }
}
