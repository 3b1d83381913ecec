import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Database, Db } from '../db/index.ts';
import type { PanelService } from '../panel/index.ts';

/** A WHERE condition on `invitations`, for the reminder's guarded update. */
export type InvitationCondition = (eb: ExpressionBuilder<Database, 'invitations'>) => Expression<SqlBool>;

/**
 * The members worth reminding, as far as quotas go: not those who can only end `quota_full`.
 * That is a member who meets the member condition of a full cell that has no answer condition
 * (or a full cell without conditions): whatever they answer, their completion falls in that
 * cell and ends quota_full. Members whose full cells depend on answers may still complete
 * elsewhere, so they are reminded.
 *
 * The cells are read here, but whether a cell is full is read by the condition itself, in the
 * reminder's transaction: a limit raised or a cell filled a moment before is what counts.
 *
 * @example
 * const quotaOpen = await quotaReminderFilter({ db, panel }, wave.survey_id);
 * await trx.updateTable('invitations').set(…).where(quotaOpen).execute();
 */
export async function quotaReminderFilter(
  deps: { db: Db; panel: PanelService },
  surveyId: string,
): Promise<InvitationCondition> {
  const cells = await deps.db.kysely
    .selectFrom('quota_cells')
    .innerJoin('quotas', 'quotas.id', 'quota_cells.quota_id')
    .select(['quota_cells.id', 'quota_cells.member_condition'])
    .where('quotas.survey_id', '=', surveyId)
    .where('quota_cells.answer_condition', 'is', null)
    .execute();
  if (cells.length === 0) return (eb) => eb.lit(true);
  const members = await Promise.all(
    cells.map((c) => (c.member_condition === null ? null : deps.panel.segmentCondition(c.member_condition))),
  );
  return (eb) =>
    eb.and(
      cells.map((cell, i) => {
        const full = eb.exists(
          eb
            .selectFrom('quota_cells')
            .select('quota_cells.id')
            .where('quota_cells.id', '=', cell.id)
            .whereRef('quota_cells.completes', '>=', 'quota_cells.max_completes'),
        );
        const condition = members[i];
        if (!condition) return eb.not(full);
        const meets = eb.exists(
          eb
            .selectFrom('members')
            .select('members.id')
            .whereRef('members.id', '=', 'invitations.member_id')
            .where(condition),
        );
        return eb.not(eb.and([full, meets]));
      }),
    );
}
