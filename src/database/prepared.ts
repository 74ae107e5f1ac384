import { eq, InferSelectModel, Placeholder, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { Database } from './database.service';

/**
 * A prepared "the row of `table` whose `column` equals the value" lookup, built once and prepared under `name`: a
 * call binds the value only, and PostgreSQL parses and plans the statement once per connection.
 */
export function preparedFindOne<TTable extends PgTable>(
  db: Database,
  table: TTable,
  column: PgColumn,
  name: string,
): (value: string) => Promise<InferSelectModel<TTable> | undefined> {
  // Selected as a plain table: the row type is given by TTable below.
  const source: PgTable = table;
  const statement = db
    .select()
    .from(source)
    .where(eq(column, sql.placeholder('value')))
    .limit(1)
    .prepare(name);
  return async (value) => (await statement.execute({ value }))[0] as InferSelectModel<TTable>;
}

/** A placeholder named after each column, for a prepared insert's `values()` (which checks the names). */
export function placeholders<K extends string>(...names: K[]): Record<K, Placeholder> {
  const result = {} as Record<K, Placeholder>;
  for (const name of names) result[name] = sql.placeholder(name);
  return result;
}
