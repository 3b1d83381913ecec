import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Quotas (distribution hub): a survey's quotas and their cells. A cell holds its conditions as
 * written (a segment expression on member attributes and/or a SurveyJS expression on the answers),
 * its limit and the completes it has taken. `completes` only moves through the guarded update
 * `completes = completes + 1 where completes < max_completes` inside a completion's transaction,
 * so it is exact under concurrent completions on both dialects.
 */
export function up0006(_dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    await db.schema
      .createTable('quotas')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('survey_id', 'text', (c) => c.notNull().references('surveys.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .execute();
    await db.schema.createIndex('quotas_survey').on('quotas').column('survey_id').execute();

    await db.schema
      .createTable('quota_cells')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('quota_id', 'text', (c) => c.notNull().references('quotas.id'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('member_condition', 'text')
      .addColumn('answer_condition', 'text')
      .addColumn('max_completes', 'integer', (c) => c.notNull())
      .addColumn('completes', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex('quota_cells_quota')
      .on('quota_cells')
      .columns(['quota_id', 'position'])
      .execute();
  };
}
