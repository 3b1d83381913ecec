import {
  Model,
  type Question,
  QuestionBooleanModel,
  QuestionCheckboxModel,
  QuestionCommentModel,
  QuestionMatrixDropdownModel,
  QuestionMatrixModel,
  QuestionMultipleTextModel,
  QuestionRankingModel,
  QuestionRatingModel,
  QuestionSelectBase,
  QuestionTextModel,
} from 'survey-core';

type Json = Record<string, unknown>;

/**
 * The oracle: survey-core's full Model, plus the checks its `validate()` is known to skip
 * (unlisted choices, out-of-range ratings, non-numbers in numeric inputs, wrong value shapes,
 * maxSelectedChoices, maxLength). Those extra checks are written here from survey-core's own view
 * of each question (its choices, rate values, rows, columns), independently of src/surveys.
 */
export interface OracleOutcome {
  ok: boolean;
  /** What survey-core's `validate()` reported, question → error texts. */
  surveyErrors: Record<string, string[]>;
  /** What the explicit checks found in values of visible questions. */
  gaps: Record<string, string>;
  /** `model.data` after `doComplete()` (clearInvisibleValues: onComplete), normalized. */
  data: Json;
}

// The address pattern of survey-core's EmailValidator (applied by survey-core to inputType email).
const EMAIL =
  /^(([^<>()[\].,;:\s@"]+(\.[^<>()[\].,;:\s@"]+)*)|(".+"))@(([^<>()=[\].,;:\s@"]+\.)+[^<>()=[\].,;:\s@"]{2,})$/i;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.values(value).every(isEmpty);
  return value === undefined || value === null || value === '' || Number.isNaN(value);
}

/** Drops empty values and empty entries inside object answers, as enquete stores answers. */
function prune(value: unknown, depth: number): unknown {
  if (depth === 0 || !isObject(value)) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) if (!isEmpty(v)) out[k] = prune(v, depth - 1);
  return out;
}

function depthOf(q: Question): number {
  if (q instanceof QuestionMatrixDropdownModel) return 2;
  if (q instanceof QuestionMatrixModel || q instanceof QuestionMultipleTextModel) return 1;
  return 0;
}

function textProblem(inputType: string, maxLength: number, value: unknown): string | null {
  if (inputType === 'number' || inputType === 'range') {
    return typeof value === 'number' && Number.isFinite(value) ? null : 'not a number';
  }
  if (typeof value !== 'string') return 'not text';
  if (maxLength > 0 && value.length > maxLength) return 'too long';
  if (inputType === 'date' && (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value)))) {
    return 'not a date';
  }
  return null;
}

function optionValues(q: QuestionSelectBase): unknown[] {
  const out: unknown[] = q.choices.map((c) => c.value);
  if (q.showOtherItem) out.push(q.otherItem.value);
  if (q.showNoneItem) out.push(q.noneItem.value);
  return out;
}

/** Is a value one survey-core's question could hold? Returns the problem, or null. */
function valueProblem(q: Question, value: unknown): string | null {
  if (q instanceof QuestionRatingModel) {
    return q.visibleRateValues.some((v) => v.value === value) ? null : 'not a rate value';
  }
  if (q instanceof QuestionBooleanModel) {
    return value === q.getValueTrue() || value === q.getValueFalse() ? null : 'not a boolean';
  }
  if (q instanceof QuestionTextModel) {
    // survey-core checks min/max and e-mails only for enabled questions; enquete for every value.
    const problem = textProblem(q.inputType, q.getMaxLength(), value);
    if (problem) return problem;
    const min: unknown = q.min;
    const max: unknown = q.max;
    if (q.inputType === 'email' && !EMAIL.test(String(value))) return 'not an e-mail address';
    if (
      typeof value === 'number' &&
      ((typeof min === 'number' && value < min) || (typeof max === 'number' && value > max))
    ) {
      return 'out of range';
    }
    if (
      q.inputType === 'date' &&
      ((typeof min === 'string' && String(value) < min) || (typeof max === 'string' && String(value) > max))
    ) {
      return 'out of range';
    }
    return null;
  }
  if (q instanceof QuestionCommentModel) return textProblem('text', q.getMaxLength(), value);
  if (q instanceof QuestionRankingModel) {
    const all = q.choices.map((c) => c.value);
    if (!Array.isArray(value) || value.length !== all.length) return 'not a full ranking';
    return all.every((v) => value.includes(v)) ? null : 'not a ranking of the choices';
  }
  if (q instanceof QuestionCheckboxModel || q.getType() === 'tagbox') {
    const select = q as QuestionSelectBase;
    if (!Array.isArray(value)) return 'not a list';
    const allowed = optionValues(select);
    if (value.some((v) => !allowed.includes(v))) return 'unlisted choice';
    if (new Set(value).size !== value.length) return 'choice twice';
    if (select.showNoneItem && value.includes('none') && value.length > 1) return 'none with others';
    const max = (q as QuestionCheckboxModel).maxSelectedChoices ?? 0;
    if (max > 0 && value.length > max) return 'too many';
    return null;
  }
  if (q instanceof QuestionSelectBase) return optionValues(q).includes(value) ? null : 'unlisted choice';
  if (q instanceof QuestionMatrixModel) {
    if (!isObject(value)) return 'not an object';
    const rows = q.rows.map((r) => String(r.value));
    const cols: unknown[] = q.columns.map((c) => c.value);
    for (const [row, v] of Object.entries(value)) {
      if (!rows.includes(row)) return 'unknown row';
      if (!cols.includes(v)) return 'unlisted column';
    }
    return null;
  }
  if (q instanceof QuestionMatrixDropdownModel) {
    if (!isObject(value)) return 'not an object';
    const rows = q.rows.map((r) => String(r.value));
    for (const [row, cells] of Object.entries(value)) {
      if (!rows.includes(row)) return 'unknown row';
      if (!isObject(cells)) return 'row not an object';
      for (const [name, cell] of Object.entries(cells)) {
        const column = q.columns.find((c) => c.name === name);
        if (!column) return 'unknown column';
        const problem = valueProblem(column.templateQuestion, cell);
        if (problem) return `cell ${row}/${name}: ${problem}`;
      }
    }
    return null;
  }
  if (q instanceof QuestionMultipleTextModel) {
    if (!isObject(value)) return 'not an object';
    for (const [name, v] of Object.entries(value)) {
      const item = q.items.find((i) => i.name === name);
      if (!item) return 'unknown item';
      const problem = textProblem(item.inputType, 0, v);
      if (problem) return `item ${name}: ${problem}`;
    }
    return null;
  }
  return null;
}

/**
 * Runs an answer set through survey-core the way a respondent's completion does: data set,
 * `validate()` over all pages, then `doComplete()`, which clears values of hidden questions.
 * Always a fresh Model: a reused one (`clear()` then `data`) keeps some question state and can
 * keep a hidden boolean's value on completion.
 */
export function surveyjsOutcome(surveyjs: Json, input: Json): OracleOutcome {
  const model = new Model(surveyjs);
  const data = structuredClone(input);
  model.data = data;
  const questions = model.getAllQuestions().filter((q) => !['html', 'image'].includes(q.getType()));
  const gaps: Record<string, string> = {};
  const keep = new Map<string, number>();
  for (const q of questions) {
    keep.set(q.name, depthOf(q));
    const select = q instanceof QuestionSelectBase ? q : null;
    if (select?.showOtherItem || q.showCommentArea) keep.set(`${q.name}-Comment`, 0);
    if (!q.isVisible || !q.isParentVisible) continue;
    const value = prune(data[q.name], depthOf(q));
    if (!isEmpty(value)) {
      const problem = valueProblem(q, value);
      if (problem) gaps[q.name] = problem;
    }
    const comment = data[`${q.name}-Comment`];
    if (keep.has(`${q.name}-Comment`) && !isEmpty(comment) && typeof comment !== 'string') {
      gaps[q.name] = 'comment not text';
    }
  }
  const valid = model.validate(true, false);
  const surveyErrors: Record<string, string[]> = {};
  for (const q of questions) {
    if (q.errors.length > 0) surveyErrors[q.name] = q.errors.map((e) => e.getText());
  }
  model.doComplete();
  const cleaned: Json = {};
  for (const [key, value] of Object.entries(model.data as Json)) {
    const depth = keep.get(key);
    if (depth === undefined) continue;
    const pruned = prune(value, depth);
    if (!isEmpty(pruned)) cleaned[key] = pruned;
  }
  return { ok: valid && Object.keys(gaps).length === 0, surveyErrors, gaps, data: cleaned };
}
