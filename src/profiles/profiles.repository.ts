import { Injectable } from '@nestjs/common';
import { eq, sql } from 'drizzle-orm';
import { DatabaseService } from '../database/database.service';
import { NewProfileRow, ProfileRow, profiles } from '../database/schema';

@Injectable()
export class ProfilesRepository {
  constructor(private readonly database: DatabaseService) {}

  async findById(id: string): Promise<ProfileRow | undefined> {
    const rows = await this.database.db.select().from(profiles).where(eq(profiles.id, id)).limit(1);
    return rows[0];
  }

  async findByLookupKey(lookupKey: string): Promise<ProfileRow | undefined> {
    const rows = await this.database.db
      .select()
      .from(profiles)
      .where(eq(profiles.lookupKey, lookupKey))
      .limit(1);
    return rows[0];
  }

  /** Inserts, or replaces the content of the profile with the same lookup key while keeping its id. */
  async upsert(row: NewProfileRow): Promise<ProfileRow> {
    const [stored] = await this.database.db
      .insert(profiles)
      .values(row)
      .onConflictDoUpdate({
        target: profiles.lookupKey,
        set: {
          profession: row.profession,
          industry: row.industry,
          experienceLevel: row.experienceLevel,
          profile: row.profile,
          llm: row.llm,
          updatedAt: sql`now()`,
        },
      })
      .returning();
    return stored;
  }
}
