import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/index.ts';
import type { PanelService } from '../panel/index.ts';
import { type Condition, compileCondition } from '../surveys/index.ts';
import type { CompletionHook } from './types.ts';

interface CellRow {
  id: string;
  member_condition: string | null;
  answer_condition: string | null;
  max_completes: number;
  completes: number;
}

/** Parsed answer conditions, by text; survey-core parses each once (about a microsecond a run). */
class AnswerConditions {
  readonly #cache = new Map<string, Condition>();

  matches(expression: string, data: Record<string, unknown>): boolean {
    let condition = this.#cache.get(expression);
    if (!condition) {
      if (this.#cache.size >= 1000) this.#cache.clear();
      condition = compileCondition(expression) ?? (() => true);
      this.#cache.set(expression, condition);
    }
    return condition(data);
  }
}

/**
 * The ids of the cells whose member condition the member meets, in one query in the
 * transaction. Open-link completions have no member: they meet no member condition.
 */
async function memberMatches(
  trx: Kysely<Database>,
  panel: PanelService,
  memberId: string | null,
  cells: CellRow[],
): Promise<Set<string>> {
  const conditional = cells.filter((c) => c.member_condition !== null);
  if (memberId === null || conditional.length === 0) return new Set();
  const conditions = await Promise.all(
    conditional.map((c) => panel.segmentCondition(c.member_condition!, trx)),
  );
  const row = await trx
    .selectFrom('members')
    .select((eb) =>
      conditions.map((condition, i) =>
        eb.case().when(condition(eb)).then(sql.lit(1)).else(sql.lit(0)).end().as(`m${i}`),
      ),
    )
    .where('members.id', '=', memberId)
    .executeTakeFirst();
  const flags = (row ?? {}) as Record<string, unknown>;
  return new Set(conditional.filter((_, i) => Number(flags[`m${i}`]) === 1).map((c) => c.id));
}

/**
 * The completion hook of quotas, run inside the completion's transaction. The completion falls in
 * every cell of the survey whose conditions all match (member condition on the member's
 * attributes, answer condition on the validated answers; cells with an answer condition are left
 * out when the completion has no answers, see CompletionHook). If one of them is full, it takes
 * nothing and ends `quota_full`; else it takes one slot of each with a guarded update
 * (`completes = completes + 1 where completes < max_completes`), cells in id order so that two
 * completions never wait on each other crosswise. Losing a guarded update to a concurrent
 * completion gives back the slots already taken in this transaction: all or nothing.
 *
 * @example
 * const gate = createInvitationGate({ clock, surveys, onComplete: createQuotaHook({ panel }) });
 */
export function createQuotaHook(deps: { panel: PanelService }): CompletionHook {
  const answers = new AnswerConditions();
  return async (trx, input) => {
    const cells: CellRow[] = await trx
      .selectFrom('quota_cells')
      .innerJoin('quotas', 'quotas.id', 'quota_cells.quota_id')
      .select([
        'quota_cells.id',
        'quota_cells.member_condition',
        'quota_cells.answer_condition',
        'quota_cells.max_completes',
        'quota_cells.completes',
      ])
      .where('quotas.survey_id', '=', input.surveyId)
      .orderBy('quota_cells.id')
      .execute();
    if (cells.length === 0) return 'completed';
    const members = await memberMatches(trx, deps.panel, input.memberId, cells);
    const falling = cells.filter(
      (c) =>
        (c.member_condition === null || members.has(c.id)) &&
        // Without answers (an external engine's completion) a cell that asks about them is not judged.
        (c.answer_condition === null ||
          (input.data !== null && answers.matches(c.answer_condition, input.data))),
    );
    // Counts only grow (limits aside), so a cell full when read is full now.
    if (falling.some((c) => Number(c.completes) >= Number(c.max_completes))) return 'quota_full';
    const taken: string[] = [];
    for (const cell of falling) {
      const reserved = await trx
        .updateTable('quota_cells')
        .set((eb) => ({ completes: eb('completes', '+', 1) }))
        .where('id', '=', cell.id)
        .whereRef('completes', '<', 'max_completes')
        .executeTakeFirst();
      if (Number(reserved.numUpdatedRows) === 1) {
        taken.push(cell.id);
        continue;
      }
      const still = await trx
        .selectFrom('quota_cells')
        .select('id')
        .where('id', '=', cell.id)
        .executeTakeFirst();
      // A cell deleted since it was read (its quota had no completes) takes nothing.
      if (!still) continue;
      if (taken.length > 0) {
        await trx
          .updateTable('quota_cells')
          .set((eb) => ({ completes: eb('completes', '-', 1) }))
          .where('id', 'in', taken)
          .execute();
      }
      return 'quota_full';
    }
    return 'completed';
  };
}
