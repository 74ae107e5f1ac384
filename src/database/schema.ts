import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Learner profiles. `lookup_key` is the owner and the normalised (profession, industry, experience level) triple;
 * `owner` the client that generated it (`key:<id>`), empty on a service without keys (everything shared).
 */
export const profiles = pgTable('profiles', {
  id: uuid('id').primaryKey(),
  owner: text('owner').notNull().default(''),
  lookupKey: text('lookup_key').notNull().unique(),
  profession: text('profession').notNull(),
  industry: text('industry').notNull(),
  experienceLevel: text('experience_level').notNull(),
  profile: jsonb('profile').notNull(),
  llm: jsonb('llm').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export type ProfileRow = typeof profiles.$inferSelect;
export type NewProfileRow = typeof profiles.$inferInsert;

/** Generated lessons. `cache_key` covers course, lesson, difficulty, profile content, adaptation and prompt versions. */
export const lessons = pgTable(
  'lessons',
  {
    id: uuid('id').primaryKey(),
    owner: text('owner').notNull().default(''),
    cacheKey: text('cache_key').notNull().unique(),
    courseId: text('course_id').notNull(),
    lessonId: text('lesson_id').notNull(),
    difficulty: integer('difficulty').notNull(),
    profileId: uuid('profile_id')
      .notNull()
      .references(() => profiles.id, { onDelete: 'cascade' }),
    adaptation: text('adaptation'),
    promptVersion: text('prompt_version').notNull(),
    content: jsonb('content').notNull(),
    generation: jsonb('generation').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [index('lessons_profile_id_idx').on(table.profileId)],
);

export type LessonRow = typeof lessons.$inferSelect;
export type NewLessonRow = typeof lessons.$inferInsert;
