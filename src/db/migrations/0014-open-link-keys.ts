import type { Kysely } from 'kysely';

/**
 * Responses: the key each survey's open-link tokens are signed with. An open link no longer
 * writes a response per visit (link previewers, crawlers and bots made one on every fetch): the
 * visit hands out a token that carries its survey, version, channel and time, signed with the
 * survey's key, and the response row is written at the first save or completion. One row per
 * survey, made at its first open-link visit; a key never changes.
 */
export async function up0014(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('open_link_keys')
    .addColumn('survey_id', 'text', (c) => c.primaryKey().references('surveys.id'))
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}
