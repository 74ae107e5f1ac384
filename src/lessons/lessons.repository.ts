import { Injectable } from '@nestjs/common';
import { eq, sql } from 'drizzle-orm';
import { DatabaseService } from '../database/database.service';
import { LessonRow, lessons, NewLessonRow } from '../database/schema';

const placeholder = (name: keyof NewLessonRow) => sql.placeholder(name);

/** Built once and prepared by name, as the profiles' statements are (see ProfilesRepository). */
function statements(database: DatabaseService) {
  const { db } = database;
  return {
    byId: db
      .select()
      .from(lessons)
      .where(eq(lessons.id, sql.placeholder('id')))
      .limit(1)
      .prepare('lesson_by_id'),
    byCacheKey: db
      .select()
      .from(lessons)
      .where(eq(lessons.cacheKey, sql.placeholder('cacheKey')))
      .limit(1)
      .prepare('lesson_by_cache_key'),
    upsert: db
      .insert(lessons)
      .values({
        id: placeholder('id'),
        cacheKey: placeholder('cacheKey'),
        courseId: placeholder('courseId'),
        lessonId: placeholder('lessonId'),
        difficulty: placeholder('difficulty'),
        profileId: placeholder('profileId'),
        adaptation: placeholder('adaptation'),
        promptVersion: placeholder('promptVersion'),
        content: placeholder('content'),
        generation: placeholder('generation'),
      })
      .onConflictDoUpdate({
        target: lessons.cacheKey,
        set: {
          content: sql`excluded.content`,
          generation: sql`excluded.generation`,
          updatedAt: sql`now()`,
        },
      })
      .returning()
      .prepare('lesson_upsert'),
  };
}

@Injectable()
export class LessonsRepository {
  private readonly statements: ReturnType<typeof statements>;

  constructor(database: DatabaseService) {
    this.statements = statements(database);
  }

  async findById(id: string): Promise<LessonRow | undefined> {
    const rows = await this.statements.byId.execute({ id });
    return rows[0];
  }

  async findByCacheKey(cacheKey: string): Promise<LessonRow | undefined> {
    const rows = await this.statements.byCacheKey.execute({ cacheKey });
    return rows[0];
  }

  /** Inserts, or replaces the stored lesson with the same cache key while keeping its id. */
  async upsert(row: NewLessonRow): Promise<LessonRow> {
    const [stored] = await this.statements.upsert.execute({
      id: row.id,
      cacheKey: row.cacheKey,
      courseId: row.courseId,
      lessonId: row.lessonId,
      difficulty: row.difficulty,
      profileId: row.profileId,
      adaptation: row.adaptation ?? null,
      promptVersion: row.promptVersion,
      content: row.content,
      generation: row.generation,
    });
    return stored;
  }
}
