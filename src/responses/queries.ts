import type { Kysely, Selectable } from 'kysely';
import type { Database, ResponsesTable } from '../db/index.ts';
import type { ResponseCounts, ResponseStatus } from './types.ts';

/** The SQL of the responses module, as small functions of a Kysely instance (or a transaction). */

export type ResponseRow = Selectable<ResponsesTable>;

export function findByToken(db: Kysely<Database>, token: string): Promise<ResponseRow | undefined> {
  return db.selectFrom('responses').selectAll().where('token', '=', token).executeTakeFirst();
}

/**
 * The guarded update every state change goes through: it only touches a row still in progress,
 * so of several racing completions exactly one changes the row. Resolves with the rows changed.
 */
export async function updateInProgress(
  db: Kysely<Database>,
  token: string,
  set: Partial<Pick<ResponseRow, 'status' | 'data' | 'page' | 'updated_at' | 'completed_at'>>,
): Promise<number> {
  const result = await db
    .updateTable('responses')
    .set(set)
    .where('token', '=', token)
    .where('status', '=', 'in_progress')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Records the entry channel on first open only. */
export async function setChannelIfUnset(db: Kysely<Database>, token: string, channel: string): Promise<void> {
  await db
    .updateTable('responses')
    .set({ channel })
    .where('token', '=', token)
    .where('channel', 'is', null)
    .execute();
}

export function emptyCounts(): ResponseCounts {
  return { in_progress: 0, completed: 0, screened_out: 0 };
}

/** Response counts by survey and status; `surveyId` narrows to one survey. */
export async function countByStatus(
  db: Kysely<Database>,
  surveyId?: string,
): Promise<Map<string, ResponseCounts>> {
  let query = db
    .selectFrom('responses')
    .select(['survey_id', 'status', (eb) => eb.fn.countAll<number | string>().as('n')])
    .groupBy(['survey_id', 'status']);
  if (surveyId !== undefined) query = query.where('survey_id', '=', surveyId);
  const out = new Map<string, ResponseCounts>();
  for (const row of await query.execute()) {
    const counts = out.get(row.survey_id) ?? emptyCounts();
    counts[row.status as ResponseStatus] = Number(row.n);
    out.set(row.survey_id, counts);
  }
  return out;
}

/** Where the previous export page ended: keyset paging in (started_at, id) order. */
export interface PageCursor {
  startedAt: string;
  id: string;
}

/**
 * One page of a survey's responses in the order they were started (ties by id), after `after`:
 * keyset paging for exports, served by the (survey_id, started_at, id) index.
 */
export function responsePage(
  db: Kysely<Database>,
  input: { surveyId: string; statuses: ResponseStatus[]; after: PageCursor | null; limit: number },
): Promise<ResponseRow[]> {
  let query = db
    .selectFrom('responses')
    .selectAll()
    .where('survey_id', '=', input.surveyId)
    .where('status', 'in', input.statuses);
  const after = input.after;
  if (after !== null) {
    query = query.where((eb) =>
      eb.or([
        eb('started_at', '>', after.startedAt),
        eb.and([eb('started_at', '=', after.startedAt), eb('id', '>', after.id)]),
      ]),
    );
  }
  return query.orderBy('started_at').orderBy('id').limit(input.limit).execute();
}

/** The published versions that a survey's responses were given on. */
export async function versionsInUse(db: Kysely<Database>, surveyId: string): Promise<number[]> {
  const rows = await db
    .selectFrom('responses')
    .select('version')
    .distinct()
    .where('survey_id', '=', surveyId)
    .execute();
  return rows.map((r) => Number(r.version));
}
