import type { Insertable } from 'kysely';
import type { Db, ResponsesTable } from '../db/index.ts';
import { type Clock, type Ids, isoNow } from '../kernel/index.ts';
import type { SurveyService } from '../surveys/index.ts';
import type { ImportResult, ImportRow } from './types.ts';

/** Rows per INSERT statement: well under SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
const rowsPerStatement = 500;

/**
 * Loads answers collected elsewhere as finished responses of the survey's current version.
 * Every row is validated like a completion (`complete` mode; hidden-question values dropped; a
 * matching screen-out rule makes it `screened_out`). The valid rows go in with one transaction
 * per call, so a failure leaves none of them; rows whose `(survey, externalRef)` is already stored
 * are skipped by the unique index, which makes a re-run insert nothing new.
 *
 * @example
 * const { inserted, skipped, rejected } = await responses.importCompleted(surveyId, [
 *   { externalRef: '61617', data: { A1: 2, gender: 1 }, completedAt: '2026-01-01T00:00:00.000Z' },
 * ]);
 */
export async function importCompleted(
  deps: { db: Db; clock: Clock; ids: Ids; surveys: SurveyService },
  surveyId: string,
  rows: ImportRow[],
): Promise<ImportResult> {
  const compiled = await deps.surveys.compiled(surveyId);
  const now = isoNow(deps.clock);
  const rejected: ImportResult['rejected'] = [];
  const valid: Insertable<ResponsesTable>[] = [];
  for (const row of rows) {
    if (row.externalRef === '') {
      const issue = { question: '', code: 'REQUIRED', message: 'externalRef is empty' } as const;
      rejected.push({ externalRef: row.externalRef, issues: [issue] });
      continue;
    }
    const result = compiled.validate(row.data, 'complete');
    if (!result.screenedOut && !result.ok) {
      rejected.push({ externalRef: row.externalRef, issues: result.issues });
      continue;
    }
    valid.push({
      id: '',
      survey_id: surveyId,
      version: compiled.version,
      token: '',
      status: result.screenedOut ? 'screened_out' : 'completed',
      data: JSON.stringify(result.data),
      page: 0,
      channel: 'import',
      started_at: row.completedAt,
      updated_at: now,
      completed_at: row.completedAt,
      external_ref: row.externalRef,
    });
  }

  let inserted = 0;
  await deps.db.kysely.transaction().execute(async (trx) => {
    for (let start = 0; start < valid.length; start += rowsPerStatement) {
      const chunk = valid
        .slice(start, start + rowsPerStatement)
        .map((r) => ({ ...r, id: deps.ids.id('rs'), token: deps.ids.token() }));
      const result = await trx
        .insertInto('responses')
        .values(chunk)
        .onConflict((oc) => oc.columns(['survey_id', 'external_ref']).doNothing())
        .executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
  });
  return { inserted, skipped: valid.length - inserted, rejected };
}
