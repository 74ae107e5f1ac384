import { Injectable } from '@nestjs/common';
import { eq, sql } from 'drizzle-orm';
import { DatabaseService } from '../database/database.service';
import { LessonRow, lessons, NewLessonRow } from '../database/schema';

@Injectable()
export class LessonsRepository {
  constructor(private readonly database: DatabaseService) {}

  async findById(id: string): Promise<LessonRow | undefined> {
    const rows = await this.database.db.select().from(lessons).where(eq(lessons.id, id)).limit(1);
    return rows[0];
  }

  async findByCacheKey(cacheKey: string): Promise<LessonRow | undefined> {
    const rows = await this.database.db
      .select()
      .from(lessons)
      .where(eq(lessons.cacheKey, cacheKey))
      .limit(1);
    return rows[0];
  }

  /** Inserts, or replaces the stored lesson with the same cache key while keeping its id. */
  async upsert(row: NewLessonRow): Promise<LessonRow> {
    const [stored] = await this.database.db
      .insert(lessons)
      .values(row)
      .onConflictDoUpdate({
        target: lessons.cacheKey,
        set: { content: row.content, generation: row.generation, updatedAt: sql`now()` },
      })
      .returning();
    return stored;
  }
}
