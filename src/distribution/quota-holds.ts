import { type Kysely, sql } from 'kysely';
import type { Database, Dialect } from '../db/index.ts';
import type { PanelService } from '../panel/index.ts';
import { quotaFullOnly } from './quota-reminders.ts';

/** Why a held message waits, as the outbox shows it. */
export const heldReason = 'held for quota: the member can only end quota_full (a full quota cell)';

/**
 * Of these invitations of one survey, the ones whose first message waits for quota room now: the
 * member can only end `quota_full` (see quota-reminders.ts). Decided in `trx`, the transaction
 * that writes the hold.
 *
 * A hold must never outlive the room it waited for: a limit raised releases the held messages in
 * its own transaction (quota-store.ts), so a hold decided on the old limit but committed after that
 * release would wait for nothing. On PostgreSQL the survey's cells are therefore locked FOR SHARE
 * (in id order, as completions take them) before the decision is read again: a limit change either
 * committed before, and is seen, or waits for this transaction, and then releases what it holds.
 * SQLite runs one writer at a time. The lock is taken only when something would be held.
 *
 * @example
 * const held = await heldForQuota(trx, { dialect: db.dialect, panel }, surveyId, [101, 102]);
 */
export async function heldForQuota(
  trx: Kysely<Database>,
  deps: { dialect: Dialect; panel: PanelService },
  surveyId: string,
  invitationIds: number[],
): Promise<Set<number>> {
  if (invitationIds.length === 0) return new Set();
  const only = await quotaFullOnly(trx, deps.panel, surveyId);
  if (!only) return new Set();
  const read = async () => {
    const held = new Set<number>();
    for (let i = 0; i < invitationIds.length; i += 500) {
      const rows = await trx
        .selectFrom('invitations')
        .select('id')
        .where('id', 'in', invitationIds.slice(i, i + 500))
        .where(only.condition)
        .execute();
      for (const r of rows) held.add(Number(r.id));
    }
    return held;
  };
  const first = await read();
  if (first.size === 0 || deps.dialect !== 'postgres') return first;
  await sql`select id from quota_cells where id in (${sql.join(only.cellIds)}) order by id for share`.execute(
    trx,
  );
  return read();
}

/**
 * Gives the held first messages of a survey's waves back to the sender (`queued`, due now), which
 * decides again at send time; waves past their deadline keep theirs. Run in the transaction that
 * made room (a limit raised, a quota deleted). Resolves with how many were released.
 */
export async function releaseHeld(trx: Kysely<Database>, surveyId: string, now: string): Promise<number> {
  const result = await trx
    .updateTable('distribution_outbox')
    .set({ status: 'queued', next_attempt_at: now, last_error: null })
    .where('status', '=', 'held')
    .where('wave_id', 'in', (eb) =>
      eb
        .selectFrom('waves')
        .select('waves.id')
        .where('waves.survey_id', '=', surveyId)
        .where((w) => w.or([w('waves.deadline', 'is', null), w('waves.deadline', '>', now)])),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
