import type { Kysely } from 'kysely';

/** Exports page through a survey's responses in the order they were started. */
export async function up0002(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('responses_survey_started')
    .on('responses')
    .columns(['survey_id', 'started_at', 'id'])
    .execute();
}
