import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { Database, Db } from '../db/index.ts';
import type { PanelService } from '../panel/index.ts';

/** A WHERE condition on `invitations`, for the reminder's guarded update. */
export type InvitationCondition = (eb: ExpressionBuilder<Database, 'invitations'>) => Expression<SqlBool>;

/** Who can only end `quota_full` in a survey, as a condition, and the cells it reads. */
export interface QuotaFullOnly {
  /** The cells without an answer condition, in id order. */
  cellIds: string[];
  /** True for an invitation whose member meets a full cell of `cellIds`. */
  condition: InvitationCondition;
}

/**
 * The members of a survey who can only end `quota_full`: those who meet the member condition of a
 * full cell that has no answer condition (or any member, for a full cell without conditions):
 * whatever they answer, their completion falls in that cell. Members whose full cells depend on
 * answers may still complete elsewhere, so they are not. Null when the survey has no such cell.
 *
 * The cells are read here, but whether a cell is full is read by the condition itself, in the
 * statement that uses it: a limit raised or a cell filled a moment before is what counts.
 *
 * @example
 * const only = await quotaFullOnly(trx, panel, surveyId);
 * const held = only ? await trx.selectFrom('invitations').select('id').where(only.condition).execute() : [];
 */
export async function quotaFullOnly(
  k: Kysely<Database>,
  panel: PanelService,
  surveyId: string,
): Promise<QuotaFullOnly | null> {
  const cells = await k
    .selectFrom('quota_cells')
    .innerJoin('quotas', 'quotas.id', 'quota_cells.quota_id')
    .select(['quota_cells.id', 'quota_cells.member_condition'])
    .where('quotas.survey_id', '=', surveyId)
    .where('quota_cells.answer_condition', 'is', null)
    .orderBy('quota_cells.id')
    .execute();
  if (cells.length === 0) return null;
  const members = await Promise.all(
    cells.map((c) => (c.member_condition === null ? null : panel.segmentCondition(c.member_condition, k))),
  );
  return {
    cellIds: cells.map((c) => c.id),
    condition: (eb) =>
      eb.or(
        cells.map((cell, i) => {
          const full = eb.exists(
            eb
              .selectFrom('quota_cells')
              .select('quota_cells.id')
              .where('quota_cells.id', '=', cell.id)
              .whereRef('quota_cells.completes', '>=', 'quota_cells.max_completes'),
          );
          const condition = members[i];
          if (!condition) return full;
          const meets = eb.exists(
            eb
              .selectFrom('members')
              .select('members.id')
              .whereRef('members.id', '=', 'invitations.member_id')
              .where(condition),
          );
          return eb.and([full, meets]);
        }),
      ),
  };
}

/**
 * The members worth reminding, as far as quotas go: not those who can only end `quota_full`
 * (see {@link quotaFullOnly}), decided by the reminder's own guarded update.
 *
 * @example
 * const quotaOpen = await quotaReminderFilter({ db, panel }, wave.survey_id);
 * await trx.updateTable('invitations').set(…).where(quotaOpen).execute();
 */
export async function quotaReminderFilter(
  deps: { db: Db; panel: PanelService },
  surveyId: string,
): Promise<InvitationCondition> {
  const only = await quotaFullOnly(deps.db.kysely, deps.panel, surveyId);
  if (!only) return (eb) => eb.lit(true);
  return (eb) => eb.not(only.condition(eb));
}
