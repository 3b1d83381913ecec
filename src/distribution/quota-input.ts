import { z } from 'zod';
import { isEnqueteError } from '../kernel/index.ts';
import type { PanelService } from '../panel/index.ts';
import { checkCondition, type SurveyDetail, type SurveyService } from '../surveys/index.ts';
import { distributionErrors } from './errors.ts';
import type { QuotaInput } from './quota-types.ts';

/** At most this many cells per quota. */
export const maxCells = 200;

const condition = z.string().max(10_000).nullable().optional();
export const quotaLimit = z.number().int().min(0).max(1_000_000_000);

const quotaSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  cells: z
    .array(
      z.strictObject({
        label: z.string().trim().min(1).max(200),
        memberCondition: condition,
        answerCondition: condition,
        limit: quotaLimit,
      }),
    )
    .min(1)
    .max(maxCells),
});

/** A checked cell: conditions trimmed, empty ones as null. */
export interface CheckedCell {
  label: string;
  memberCondition: string | null;
  answerCondition: string | null;
  limit: number;
}

/** A zod path as the field names of the body: `cells[1].limit`. */
export function fieldOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (at, key) => (typeof key === 'number' ? `${at}[${key}]` : at ? `${at}.${String(key)}` : String(key)),
    '',
  );
}

const blankToNull = (text: string | null | undefined) => (text?.trim() ? text.trim() : null);

/** The question names answer conditions may refer to: the published version's, else the draft's. */
async function questionNames(surveys: SurveyService, survey: SurveyDetail): Promise<Set<string>> {
  if (survey.currentVersion !== null) {
    const compiled = await surveys.compiled(survey.id);
    return new Set(compiled.codebook.questions.map((q) => q.name));
  }
  const draft = surveys.check(survey.draftSource, 'json');
  return new Set(draft.ok ? draft.codebook.questions.map((q) => q.name) : []);
}

/**
 * Checks a quota's shape, every member condition against the attribute types (the segment
 * language names the column of a mistake) and every answer condition against the survey's
 * questions. Throws QUOTA_INVALID with `details.field` (and `details.column` for a member condition).
 */
export async function checkQuotaInput(
  deps: { panel: PanelService; surveys: SurveyService },
  survey: SurveyDetail,
  input: QuotaInput,
): Promise<{ name: string; cells: CheckedCell[] }> {
  const parsed = quotaSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw distributionErrors.quotaInvalid(issue.message, fieldOf(issue.path) || 'quota');
  }
  const raw = parsed.data.cells;
  const cells = raw.map((c) => ({
    label: c.label,
    memberCondition: blankToNull(c.memberCondition),
    answerCondition: blankToNull(c.answerCondition),
    limit: c.limit,
  }));
  const seen = new Map<string, number>();
  for (const [i, cell] of cells.entries()) {
    const earlier = seen.get(cell.label);
    if (earlier !== undefined) {
      throw distributionErrors.quotaInvalid(`the label is already cells[${earlier}]'s`, `cells[${i}].label`);
    }
    seen.set(cell.label, i);
  }
  let names: Set<string> | null = null;
  for (const [i, cell] of cells.entries()) {
    if (cell.memberCondition !== null) {
      try {
        // As written, so that the column of a mistake is the column the author sees.
        await deps.panel.segmentCondition(raw[i]!.memberCondition!);
      } catch (error) {
        if (!isEnqueteError(error) || error.code !== 'SEGMENT_INVALID') throw error;
        throw distributionErrors.quotaInvalid(error.message, `cells[${i}].memberCondition`, {
          column: error.details?.['column'],
          cause: error,
        });
      }
    }
    if (cell.answerCondition !== null) {
      names ??= await questionNames(deps.surveys, survey);
      const problem = checkCondition(raw[i]!.answerCondition!, names);
      if (problem) throw distributionErrors.quotaInvalid(problem, `cells[${i}].answerCondition`);
    }
  }
  return { name: parsed.data.name, cells };
}
