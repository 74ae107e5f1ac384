import { Injectable } from '@nestjs/common';
import { eq, sql } from 'drizzle-orm';
import { DatabaseService } from '../database/database.service';
import { placeholders, preparedFindOne } from '../database/prepared';
import { NewProfileRow, ProfileRow, profiles } from '../database/schema';

/**
 * The statements are built once and prepared by name: per call only the parameters are bound (building drizzle's
 * query was the largest single item of `POST /profiles`' CPU), and PostgreSQL parses and plans each statement once
 * per connection.
 */
@Injectable()
export class ProfilesRepository {
  readonly findById: (id: string) => Promise<ProfileRow | undefined>;
  readonly findByLookupKey: (lookupKey: string) => Promise<ProfileRow | undefined>;
  private readonly upsertStatement;

  private readonly db: DatabaseService['db'];

  constructor({ db }: DatabaseService) {
    this.db = db;
    this.findById = preparedFindOne(db, profiles, profiles.id, 'profile_by_id');
    this.findByLookupKey = preparedFindOne(
      db,
      profiles,
      profiles.lookupKey,
      'profile_by_lookup_key',
    );
    this.upsertStatement = db
      .insert(profiles)
      .values(
        placeholders(
          'id',
          'owner',
          'lookupKey',
          'profession',
          'industry',
          'experienceLevel',
          'profile',
          'llm',
        ),
      )
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
      .prepare('profile_upsert');
  }

  /** Deletes a profile (its lessons go with it); true when there was one. */
  async delete(id: string): Promise<boolean> {
    const deleted = await this.db
      .delete(profiles)
      .where(eq(profiles.id, id))
      .returning({ id: profiles.id });
    return deleted.length > 0;
  }

  /** Inserts, or replaces the content of the profile with the same lookup key while keeping its id. */
  async upsert(row: NewProfileRow): Promise<ProfileRow> {
    const [stored] = await this.upsertStatement.execute(row);
    return stored;
  }
}
