import { jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Learner profiles. `lookup_key` is the normalised (profession, industry, experience level) triple. */
export const profiles = pgTable('profiles', {
  id: uuid('id').primaryKey(),
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
