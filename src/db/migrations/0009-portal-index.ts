import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Distribution hub: the portal's lookup ("what is open for this member?") reads a member's
 * invitations from one index range instead of one table row each. The rows of a member lie in as
 * many places of the table as the member has waves (one per wave, written wave after wave), so the
 * lookup touched about ten random pages of a 10-million-row table per request; with every column
 * it reads in the index, it touches one or two.
 *
 * `status` comes second so that the open statuses are sought rather than filtered. PostgreSQL
 * carries the other columns as INCLUDE, with `id` (SQLite's index holds the rowid already).
 */
export function up0009(dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    if (dialect === 'postgres') {
      await sql`create index invitations_portal on invitations (member_id, status)
        include (survey_id, wave_id, invited_at, token, id)`.execute(db);
      return;
    }
    await db.schema
      .createIndex('invitations_portal')
      .on('invitations')
      .columns(['member_id', 'status', 'survey_id', 'wave_id', 'invited_at', 'token'])
      .execute();
  };
}
