import { Injectable } from '@nestjs/common';
import { eq, sql } from 'drizzle-orm';
import { DatabaseService } from '../database/database.service';
import { NewProfileRow, ProfileRow, profiles } from '../database/schema';

const placeholder = (name: keyof NewProfileRow) => sql.placeholder(name);

/**
 * The statements are built once and prepared by name: per call only the parameters are bound (building drizzle's
 * query was the largest single item of `POST /profiles`' CPU), and PostgreSQL parses and plans each statement once
 * per connection.
 */
function statements(database: DatabaseService) {
  const { db } = database;
  return {
    byId: db
      .select()
      .from(profiles)
      .where(eq(profiles.id, sql.placeholder('id')))
      .limit(1)
      .prepare('profile_by_id'),
    byLookupKey: db
      .select()
      .from(profiles)
      .where(eq(profiles.lookupKey, sql.placeholder('lookupKey')))
      .limit(1)
      .prepare('profile_by_lookup_key'),
    upsert: db
      .insert(profiles)
      .values({
        id: placeholder('id'),
        lookupKey: placeholder('lookupKey'),
        profession: placeholder('profession'),
        industry: placeholder('industry'),
        experienceLevel: placeholder('experienceLevel'),
        profile: placeholder('profile'),
        llm: placeholder('llm'),
      })
      .onConflictDoUpdate({
        target: profiles.lookupKey,
        set: {
          profession: sql`excluded.profession`,
          industry: sql`excluded.industry`,
          experienceLevel: sql`excluded.experience_level`,
          profile: sql`excluded.profile`,
          llm: sql`excluded.llm`,
          updatedAt: sql`now()`,
        },
      })
      .returning()
      .prepare('profile_upsert'),
  };
}

@Injectable()
export class ProfilesRepository {
  private readonly statements: ReturnType<typeof statements>;

  constructor(database: DatabaseService) {
    this.statements = statements(database);
  }

  async findById(id: string): Promise<ProfileRow | undefined> {
    const rows = await this.statements.byId.execute({ id });
    return rows[0];
  }

  async findByLookupKey(lookupKey: string): Promise<ProfileRow | undefined> {
    const rows = await this.statements.byLookupKey.execute({ lookupKey });
    return rows[0];
  }

  /** Inserts, or replaces the content of the profile with the same lookup key while keeping its id. */
  async upsert(row: NewProfileRow): Promise<ProfileRow> {
    const [stored] = await this.statements.upsert.execute({
      id: row.id,
      lookupKey: row.lookupKey,
      profession: row.profession,
      industry: row.industry,
      experienceLevel: row.experienceLevel,
      profile: row.profile,
      llm: row.llm,
    });
    return stored;
  }
}
