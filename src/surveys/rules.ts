import type { Json } from './elements.ts';
import type { CodebookCell, CodebookChoice, CodebookQuestion, ValidationIssue } from './types.ts';
import { isEmptyValue, isPlainObject } from './values.ts';

type Issue = Omit<ValidationIssue, 'question'>;

/** The checks of one question, built once per compiled version. */
export interface QuestionRules {
  /** Problems of a non-empty value, whatever the mode. */
  checkValue(value: unknown, data: Record<string, unknown>): Issue[];
  /** What a completed answer also needs (only for visible questions, in `complete` mode). */
  checkComplete(value: unknown, data: Record<string, unknown>, required: boolean): Issue[];
  /** Keep `<name>-Comment` (other text or comment box). */
  keepsComment: boolean;
  /** Object answers: 1 for matrix/multipletext, 2 for matrixdropdown (rows of cells), else 0. */
  objectDepth: 0 | 1 | 2;
  /** True when the comment is an "other" text that only counts while "other" is selected. */
  otherOnly: boolean;
}

// SurveyJS's own e-mail pattern (EmailValidator), so both sides agree on what an address is.
const EMAIL =
  /^(([^<>()[\].,;:\s@"]+(\.[^<>()[\].,;:\s@"]+)*)|(".+"))@(([^<>()=[\].,;:\s@"]+\.)+[^<>()=[\].,;:\s@"]{2,})$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const NUMERIC_INPUTS = new Set(['number', 'range']);

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function positive(value: unknown): number {
  return typeof value === 'number' && value > 0 ? value : 0;
}

function listOf(choices: CodebookChoice[] | undefined, extra: string[] = []): Set<unknown> {
  return new Set<unknown>([...(choices ?? []).map((c) => c.value), ...extra]);
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Rules of a text-like answer (text input, comment, text cell, multipletext item). */
function textRule(opts: { inputType?: string | undefined; min?: unknown; max?: unknown; maxLength: number }) {
  const inputType = opts.inputType ?? 'text';
  return (value: unknown): Issue[] => {
    if (NUMERIC_INPUTS.has(inputType)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return [{ code: 'NOT_A_NUMBER', message: `${show(value)} is not a number` }];
      }
      const min = num(opts.min);
      const max = num(opts.max);
      if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
        return [{ code: 'OUT_OF_RANGE', message: `${value} is outside ${min ?? '-∞'}…${max ?? '∞'}` }];
      }
      return [];
    }
    if (typeof value !== 'string') return [{ code: 'WRONG_TYPE', message: `${show(value)} is not text` }];
    if (opts.maxLength > 0 && value.length > opts.maxLength) {
      return [{ code: 'TOO_MANY', message: `text longer than ${opts.maxLength} characters` }];
    }
    if (inputType === 'email' && !EMAIL.test(value)) {
      return [{ code: 'INVALID_FORMAT', message: `${show(value)} is not an e-mail address` }];
    }
    if (inputType === 'date') {
      if (!DATE.test(value) || Number.isNaN(Date.parse(value))) {
        return [{ code: 'INVALID_FORMAT', message: `${show(value)} is not a date (YYYY-MM-DD)` }];
      }
      const min = typeof opts.min === 'string' ? opts.min : undefined;
      const max = typeof opts.max === 'string' ? opts.max : undefined;
      if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
        return [{ code: 'OUT_OF_RANGE', message: `${value} is outside ${min ?? '…'}–${max ?? '…'}` }];
      }
    }
    return [];
  };
}

/** One answer among listed values. */
function singleChoice(allowed: Set<unknown>) {
  return (value: unknown): Issue[] =>
    allowed.has(value) ? [] : [{ code: 'NOT_A_CHOICE', message: `${show(value)} is not one of the choices` }];
}

/** A list of distinct listed values; `none` stands alone. */
function multiChoice(allowed: Set<unknown>, max: number) {
  return (value: unknown): Issue[] => {
    if (!Array.isArray(value)) return [{ code: 'WRONG_TYPE', message: 'expected a list of choices' }];
    const unlisted = value.filter((v) => !allowed.has(v));
    if (unlisted.length > 0) {
      return [{ code: 'NOT_A_CHOICE', message: `${unlisted.map(show).join(', ')} not among the choices` }];
    }
    if (new Set(value).size !== value.length)
      return [{ code: 'INVALID_FORMAT', message: 'a choice is listed twice' }];
    if (value.includes('none') && value.length > 1 && allowed.has('none')) {
      return [{ code: 'INVALID_FORMAT', message: '"none" cannot be chosen with other choices' }];
    }
    if (max > 0 && value.length > max) return [{ code: 'TOO_MANY', message: `at most ${max} choices` }];
    return [];
  };
}

function cellRule(cell: CodebookCell, maxLength: number): (value: unknown) => Issue[] {
  switch (cell.type) {
    case 'checkbox':
    case 'tagbox':
      return multiChoice(listOf(cell.choices, cell.hasNone ? ['none'] : []), 0);
    case 'dropdown':
    case 'radiogroup':
    case 'rating':
      return singleChoice(listOf(cell.choices, cell.hasNone ? ['none'] : []));
    case 'boolean':
      return singleChoice(new Set<unknown>([true, false]));
    default:
      return textRule({ inputType: cell.inputType, maxLength });
  }
}

function objectRule(
  keys: Set<string>,
  what: string,
  inner: (key: string, value: unknown) => Issue[],
): (value: unknown) => Issue[] {
  return (value) => {
    if (!isPlainObject(value)) return [{ code: 'WRONG_TYPE', message: `expected an object of ${what}` }];
    const issues: Issue[] = [];
    for (const [key, v] of Object.entries(value)) {
      if (!keys.has(key))
        issues.push({ code: 'UNKNOWN_QUESTION', message: `${show(key)} is not one of the ${what}` });
      else issues.push(...inner(key, v));
    }
    return issues;
  };
}

const required = (message = 'an answer is required'): Issue => ({ code: 'REQUIRED', message });

/**
 * Builds the value and completeness rules of one question from its codebook entry and JSON.
 *
 * @example
 * const rules = questionRules(entry, json, 0);
 * rules.checkValue('12', {}); // [{ code: 'NOT_A_NUMBER', … }] for a number input
 */
export function questionRules(entry: CodebookQuestion, json: Json, surveyMaxLength: number): QuestionRules {
  const maxLength = positive(json['maxLength']) || surveyMaxLength;
  const base: QuestionRules = {
    checkValue: () => [],
    checkComplete: (value, _data, isRequired) => (isRequired && isEmptyValue(value) ? [required()] : []),
    keepsComment: json['showCommentArea'] === true || json['hasComment'] === true,
    objectDepth: 0,
    otherOnly: false,
  };
  const otherValue = entry.hasOther ? ['other'] : [];
  const noneValue = entry.hasNone ? ['none'] : [];
  const needsOtherText = (value: unknown, data: Record<string, unknown>): Issue[] => {
    const chosen = Array.isArray(value) ? value.includes('other') : value === 'other';
    const text = data[`${entry.name}-Comment`];
    return chosen && (typeof text !== 'string' || text.trim() === '')
      ? [required('describe the "other" answer')]
      : [];
  };
  switch (entry.type) {
    case 'text':
      return {
        ...base,
        checkValue: textRule({ inputType: entry.inputType, min: json['min'], max: json['max'], maxLength }),
      };
    case 'comment':
      return { ...base, checkValue: textRule({ maxLength }) };
    case 'radiogroup':
    case 'dropdown':
    case 'rating':
    case 'boolean': {
      const allowed =
        entry.type === 'boolean'
          ? new Set<unknown>([json['valueTrue'] ?? true, json['valueFalse'] ?? false])
          : listOf(entry.choices, [...otherValue, ...noneValue]);
      const check = singleChoice(allowed);
      return {
        ...base,
        keepsComment: base.keepsComment || !!entry.hasOther,
        otherOnly: !!entry.hasOther && !base.keepsComment,
        checkValue: check,
        checkComplete: (value, data, isRequired) => [
          ...base.checkComplete(value, data, isRequired),
          ...needsOtherText(value, data),
        ],
      };
    }
    case 'checkbox':
    case 'tagbox': {
      const min = positive(json['minSelectedChoices']);
      const check = multiChoice(
        listOf(entry.choices, [...otherValue, ...noneValue]),
        positive(json['maxSelectedChoices']),
      );
      return {
        ...base,
        keepsComment: base.keepsComment || !!entry.hasOther,
        otherOnly: !!entry.hasOther && !base.keepsComment,
        checkValue: check,
        checkComplete: (value, data, isRequired) => {
          const issues = [...base.checkComplete(value, data, isRequired), ...needsOtherText(value, data)];
          const count = Array.isArray(value) ? value.length : 0;
          if (min > 0 && count < min && !(Array.isArray(value) && value.includes('none'))) {
            issues.push({ code: 'TOO_FEW', message: `at least ${min} choices` });
          }
          return issues;
        },
      };
    }
    case 'ranking': {
      const allowed = listOf(entry.choices);
      const all = json['selectToRankEnabled'] !== true;
      return {
        ...base,
        checkValue: (value) => {
          const issues = multiChoice(allowed, 0)(value);
          if (issues.length === 0 && all && Array.isArray(value) && value.length !== allowed.size) {
            return [{ code: 'TOO_FEW', message: 'every choice must be ranked' }];
          }
          return issues;
        },
      };
    }
    case 'matrix': {
      const columns = singleChoice(listOf(entry.columns));
      const rows = new Set((entry.rows ?? []).map((r) => String(r.value)));
      const allRows = json['isAllRowRequired'] === true || json['eachRowRequired'] === true;
      return {
        ...base,
        objectDepth: 1,
        checkValue: objectRule(rows, 'rows', (_row, v) => columns(v)),
        checkComplete: (value, data, isRequired) => {
          const issues = base.checkComplete(value, data, isRequired);
          const answered = isPlainObject(value) ? value : {};
          if (allRows && [...rows].some((row) => isEmptyValue(answered[row]))) {
            issues.push(required('every row needs an answer'));
          }
          return issues;
        },
      };
    }
    case 'multipletext': {
      const cells = new Map((entry.cells ?? []).map((c) => [c.name, cellRule(c, maxLength)]));
      const requiredItems = Array.isArray(json['items'])
        ? json['items']
            .filter((i): i is Json => isPlainObject(i) && i['isRequired'] === true)
            .map((i) => String(i['name']))
        : [];
      return {
        ...base,
        objectDepth: 1,
        checkValue: objectRule(new Set(cells.keys()), 'items', (key, v) => cells.get(key)?.(v) ?? []),
        checkComplete: (value, data, isRequired) => {
          const issues = base.checkComplete(value, data, isRequired);
          const answered = isPlainObject(value) ? value : {};
          for (const item of requiredItems) {
            if (isEmptyValue(answered[item])) issues.push(required(`item ${item} needs an answer`));
          }
          return issues;
        },
      };
    }
    case 'matrixdropdown': {
      const cells = new Map((entry.cells ?? []).map((c) => [c.name, cellRule(c, maxLength)]));
      const rows = new Set((entry.rows ?? []).map((r) => String(r.value)));
      const columnsJson = Array.isArray(json['columns']) ? json['columns'].filter(isPlainObject) : [];
      const requiredColumns = columnsJson
        .filter((c) => c['isRequired'] === true)
        .map((c) => String(c['name']));
      const rowRule = objectRule(new Set(cells.keys()), 'columns', (key, v) => cells.get(key)?.(v) ?? []);
      return {
        ...base,
        objectDepth: 2,
        checkValue: objectRule(rows, 'rows', (_row, v) => rowRule(v)),
        checkComplete: (value, data, isRequired) => {
          const issues = base.checkComplete(value, data, isRequired);
          const answered = isPlainObject(value) ? value : {};
          for (const row of rows) {
            const cellsOfRow = isPlainObject(answered[row]) ? (answered[row] as Record<string, unknown>) : {};
            for (const column of requiredColumns) {
              if (isEmptyValue(cellsOfRow[column]))
                issues.push(required(`row ${row}, column ${column} needs an answer`));
            }
          }
          return issues;
        },
      };
    }
    default:
      return base;
  }
}
