import type { Db } from '../db/index.ts';
import type { QuotaCellsTable } from '../db/schema.ts';
import { type Clock, type Ids, isoNow } from '../kernel/index.ts';
import type { PanelService } from '../panel/index.ts';
import type { SurveyService } from '../surveys/index.ts';
import { distributionErrors } from './errors.ts';
import { releaseHeld } from './quota-holds.ts';
import { checkQuotaInput, fieldOf, quotaLimit } from './quota-input.ts';
import type { Quota, QuotaCell, QuotaService } from './quota-types.ts';

export interface QuotaStoreDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
  surveys: SurveyService;
  panel: PanelService;
}

function toCell(row: QuotaCellsTable): QuotaCell {
  const limit = Number(row.max_completes);
  const count = Number(row.completes);
  return {
    id: row.id,
    label: row.label,
    memberCondition: row.member_condition,
    answerCondition: row.answer_condition,
    limit,
    count,
    full: count >= limit,
  };
}

/**
 * Quotas behind one object: definitions and live counts. The counts themselves move only in
 * completions (see quota-hook.ts). A change that makes room (a full cell's limit raised, a quota
 * deleted) releases the first messages held for quota (see quota-holds.ts) in its transaction.
 *
 * @example
 * const quotas = createQuotaService({ db, clock, ids, surveys, panel });
 * await quotas.create(surveyId, { name: 'Gender', cells: [{ label: 'F', memberCondition: "gender = 'F'", limit: 50 }] }, 'cli');
 */
export function createQuotaService(deps: QuotaStoreDeps): QuotaService {
  const k = deps.db.kysely;

  async function quotasOf(surveyId: string, quotaId?: string): Promise<Quota[]> {
    let q = k.selectFrom('quotas').select(['id', 'name']).where('survey_id', '=', surveyId);
    if (quotaId) q = q.where('id', '=', quotaId);
    const quotas = await q.orderBy('created_at').orderBy('id').execute();
    if (quotas.length === 0) return [];
    const cells = await k
      .selectFrom('quota_cells')
      .selectAll()
      .where(
        'quota_id',
        'in',
        quotas.map((x) => x.id),
      )
      .orderBy('quota_id')
      .orderBy('position')
      .execute();
    return quotas.map((x) => ({
      id: x.id,
      name: x.name,
      cells: cells.filter((c) => c.quota_id === x.id).map(toCell),
    }));
  }

  return {
    async list(surveyId) {
      await deps.surveys.get(surveyId);
      return quotasOf(surveyId);
    },

    async create(surveyId, input, actor) {
      const survey = await deps.surveys.get(surveyId);
      const checked = await checkQuotaInput(deps, survey, input);
      const id = deps.ids.id('qt');
      await k.transaction().execute(async (trx) => {
        await trx
          .insertInto('quotas')
          .values({
            id,
            survey_id: surveyId,
            name: checked.name,
            created_at: isoNow(deps.clock),
            created_by: actor,
          })
          .execute();
        await trx
          .insertInto('quota_cells')
          .values(
            checked.cells.map((cell, position) => ({
              id: deps.ids.id('qc'),
              quota_id: id,
              position,
              label: cell.label,
              member_condition: cell.memberCondition,
              answer_condition: cell.answerCondition,
              max_completes: cell.limit,
              completes: 0,
            })),
          )
          .execute();
      });
      return (await quotasOf(surveyId, id))[0]!;
    },

    async setLimit(quotaId, cellId, limit) {
      const checked = quotaLimit.safeParse(limit);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        throw distributionErrors.quotaInvalid(issue.message, fieldOf(['limit', ...issue.path]));
      }
      const quota = await k
        .selectFrom('quotas')
        .select('survey_id')
        .where('id', '=', quotaId)
        .executeTakeFirst();
      if (!quota) throw distributionErrors.quotaCellNotFound(quotaId, cellId);
      const row = await k.transaction().execute(async (trx) => {
        let before = trx
          .selectFrom('quota_cells')
          .select(['completes', 'max_completes'])
          .where('id', '=', cellId)
          .where('quota_id', '=', quotaId);
        if (deps.db.dialect === 'postgres') before = before.forUpdate();
        const old = await before.executeTakeFirst();
        if (!old) return null;
        // The limit only: a completion racing this sees the old or the new limit, never a torn cell.
        const changed = await trx
          .updateTable('quota_cells')
          .set({ max_completes: checked.data })
          .where('id', '=', cellId)
          .returningAll()
          .executeTakeFirstOrThrow();
        // Room made in a full cell: the first messages held for it go to the sender again, which
        // decides at send time (others may still be held by another full cell).
        const count = Number(changed.completes);
        if (count >= Number(old.max_completes) && count < checked.data) {
          await releaseHeld(trx, quota.survey_id, isoNow(deps.clock));
        }
        return changed;
      });
      if (!row) throw distributionErrors.quotaCellNotFound(quotaId, cellId);
      return toCell(row);
    },

    async remove(quotaId) {
      await k.transaction().execute(async (trx) => {
        const quota = await trx
          .selectFrom('quotas')
          .select(['id', 'survey_id'])
          .where('id', '=', quotaId)
          .executeTakeFirst();
        if (!quota) throw distributionErrors.quotaNotFound(quotaId);
        // Only empty cells go; a complete counted meanwhile keeps its row (the delete re-checks it
        // under the row lock on PostgreSQL), and any cell left means the quota is in use.
        await trx
          .deleteFrom('quota_cells')
          .where('quota_id', '=', quotaId)
          .where('completes', '=', 0)
          .execute();
        const left = await trx
          .selectFrom('quota_cells')
          .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('completes'), eb.lit(0)).as('n'))
          .where('quota_id', '=', quotaId)
          .executeTakeFirstOrThrow();
        if (Number(left.n) > 0) throw distributionErrors.quotaInUse(quotaId, Number(left.n));
        await trx.deleteFrom('quotas').where('id', '=', quotaId).execute();
        // A deleted cell (one of limit 0 was full) may have held first messages.
        await releaseHeld(trx, quota.survey_id, isoNow(deps.clock));
      });
    },
  };
}
