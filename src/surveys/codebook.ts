import {
  type ItemValue,
  type Model,
  type Question,
  QuestionBooleanModel,
  QuestionMatrixDropdownModel,
  QuestionMatrixModel,
  QuestionMultipleTextModel,
  QuestionRatingModel,
  QuestionSelectBase,
  QuestionTextModel,
} from 'survey-core';
import { type Json, localizedText, type SurveyTree } from './elements.ts';
import type {
  Code,
  Codebook,
  CodebookCell,
  CodebookChoice,
  CodebookQuestion,
  DefinitionError,
  ExportColumn,
} from './types.ts';

/** Element types that hold no answer: they get no codebook entry. */
export const NON_VALUE_TYPES = new Set(['html', 'image']);

const NUMERIC_INPUTS = new Set(['number', 'range']);

function code(value: unknown): Code {
  return typeof value === 'number' ? value : String(value);
}

function choicesOf(items: ItemValue[]): CodebookChoice[] {
  return items.map((item) => ({ value: code(item.value), label: item.text }));
}

function allNumeric(choices: CodebookChoice[] | undefined): boolean {
  return !!choices && choices.length > 0 && choices.every((c) => typeof c.value === 'number');
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function cellsOf(matrix: QuestionMatrixDropdownModel): CodebookCell[] {
  return matrix.columns.map((column) => {
    const template: Question = column.templateQuestion;
    const cell: CodebookCell = {
      name: column.name,
      label: column.title || column.name,
      type: template.getType(),
    };
    if (template instanceof QuestionTextModel) cell.inputType = template.inputType;
    if (template instanceof QuestionRatingModel) cell.choices = choicesOf(template.visibleRateValues);
    else if (template instanceof QuestionSelectBase) {
      cell.choices = choicesOf(template.choices);
      if (template.showOtherItem) cell.hasOther = true;
      if (template.showNoneItem) cell.hasNone = true;
    }
    return cell;
  });
}

function describe(question: Question, json: Json, page: number): CodebookQuestion {
  const type = question.getType();
  const entry: CodebookQuestion = {
    name: question.name,
    type,
    title: localizedText(json['title'], question.survey?.getLocale?.() ?? '') ?? question.name,
    page,
    columnsOut: [],
  };
  if (question instanceof QuestionTextModel) {
    entry.inputType = question.inputType;
    const min = numberOrUndefined(json['min']);
    const max = numberOrUndefined(json['max']);
    if (min !== undefined) entry.min = min;
    if (max !== undefined) entry.max = max;
  }
  if (question instanceof QuestionRatingModel) {
    entry.choices = choicesOf(question.visibleRateValues);
  } else if (question instanceof QuestionSelectBase) {
    entry.choices = choicesOf(question.choices);
    if (question.showOtherItem) entry.hasOther = true;
    if (question.showNoneItem) entry.hasNone = true;
  }
  if (question instanceof QuestionBooleanModel) {
    const yes = question.valueTrue ?? true;
    const no = question.valueFalse ?? false;
    entry.choices = [
      { value: yes === true ? 1 : code(yes), label: question.labelTrue || 'Yes' },
      { value: no === false ? 0 : code(no), label: question.labelFalse || 'No' },
    ];
  }
  if (question instanceof QuestionMatrixModel) {
    entry.rows = choicesOf(question.rows);
    entry.columns = choicesOf(question.columns);
  }
  if (question instanceof QuestionMatrixDropdownModel) {
    entry.rows = choicesOf(question.rows);
    entry.cells = cellsOf(question);
    entry.columns = entry.cells.map((c) => ({ value: c.name, label: c.label }));
  }
  if (question instanceof QuestionMultipleTextModel) {
    entry.items = question.items.map((item) => ({ value: item.name, label: item.title || item.name }));
    entry.cells = question.items.map((item) => ({
      name: item.name,
      label: item.title || item.name,
      type: 'text',
      inputType: item.inputType,
    }));
  }
  entry.columnsOut = columnsOf(entry, question);
  return entry;
}

function column(
  name: string,
  label: string,
  source: ExportColumn['source'],
  rest: Pick<ExportColumn, 'measure' | 'valueType'> & { valueLabels?: CodebookChoice[] | undefined },
): ExportColumn {
  const out: ExportColumn = { name, label, source, measure: rest.measure, valueType: rest.valueType };
  if (rest.valueLabels && rest.valueLabels.length > 0) out.valueLabels = rest.valueLabels;
  return out;
}

function otherColumn(q: CodebookQuestion): ExportColumn {
  return column(
    `${q.name}__other`,
    `${q.title}: other (text)`,
    { kind: 'other', question: q.name },
    {
      measure: 'nominal',
      valueType: 'string',
    },
  );
}

/** The export columns of one question; naming documented in docs/exports.md. */
function columnsOf(q: CodebookQuestion, question: Question): ExportColumn[] {
  const choices = q.choices ?? [];
  const flag = { measure: 'nominal' as const, valueType: 'numeric' as const };
  switch (q.type) {
    case 'checkbox':
    case 'tagbox': {
      const out = choices.map((c) =>
        column(
          `${q.name}__${c.value}`,
          `${q.title}: ${c.label}`,
          { kind: 'choice', question: q.name, value: c.value },
          flag,
        ),
      );
      if (q.hasNone) {
        out.push(
          column(
            `${q.name}__none`,
            `${q.title}: none`,
            { kind: 'choice', question: q.name, value: 'none' },
            flag,
          ),
        );
      }
      if (q.hasOther) out.push(otherColumn(q));
      return out;
    }
    case 'ranking':
      return choices.map((c) =>
        column(
          `${q.name}__${c.value}`,
          `${q.title}: rank of ${c.label}`,
          { kind: 'rank', question: q.name, value: c.value },
          { measure: 'ordinal', valueType: 'numeric' },
        ),
      );
    case 'matrix': {
      const cols = q.columns ?? [];
      return (q.rows ?? []).map((row) =>
        column(
          `${q.name}__${row.value}`,
          `${q.title}: ${row.label}`,
          { kind: 'key', question: q.name, key: String(row.value) },
          {
            measure: allNumeric(cols) ? 'ordinal' : 'nominal',
            valueType: allNumeric(cols) ? 'numeric' : 'string',
            valueLabels: cols,
          },
        ),
      );
    }
    case 'multipletext':
      return (q.cells ?? []).map((item) => {
        const numeric = NUMERIC_INPUTS.has(item.inputType ?? '');
        return column(
          `${q.name}__${item.name}`,
          `${q.title}: ${item.label}`,
          { kind: 'key', question: q.name, key: item.name },
          { measure: numeric ? 'scale' : 'nominal', valueType: numeric ? 'numeric' : 'string' },
        );
      });
    case 'matrixdropdown':
      return (q.rows ?? []).flatMap((row) =>
        (q.cells ?? []).map((cell) => {
          const numeric =
            (cell.type !== 'checkbox' && cell.type !== 'tagbox' && allNumeric(cell.choices)) ||
            NUMERIC_INPUTS.has(cell.inputType ?? '') ||
            cell.type === 'boolean';
          return column(
            `${q.name}__${row.value}__${cell.name}`,
            `${q.title}: ${row.label}: ${cell.label}`,
            { kind: 'cell', question: q.name, row: String(row.value), column: cell.name },
            {
              measure:
                numeric && cell.type === 'rating'
                  ? 'ordinal'
                  : numeric && !cell.choices
                    ? 'scale'
                    : 'nominal',
              valueType: numeric ? 'numeric' : 'string',
              valueLabels: cell.type === 'checkbox' || cell.type === 'tagbox' ? undefined : cell.choices,
            },
          );
        }),
      );
    default: {
      const numeric =
        q.type === 'boolean'
          ? allNumeric(q.choices)
          : q.type === 'text'
            ? NUMERIC_INPUTS.has(q.inputType ?? '')
            : allNumeric(q.choices);
      const measure = q.type === 'rating' ? 'ordinal' : q.type === 'text' && numeric ? 'scale' : 'nominal';
      const valueLabels = q.hasOther ? [...choices, { value: 'other', label: 'Other' }] : choices;
      const out = [
        column(
          q.name,
          q.title,
          { kind: 'value', question: q.name },
          {
            measure,
            valueType: numeric && !q.hasOther ? 'numeric' : 'string',
            valueLabels: question instanceof QuestionTextModel ? undefined : valueLabels,
          },
        ),
      ];
      if (q.hasOther) out.push(otherColumn(q));
      return out;
    }
  }
}

/**
 * The codebook of a checked definition: one entry per answerable question (document order) and
 * the flattened export columns. Column names are compared case-insensitively (DuckDB and SPSS
 * fold case), and a collision is a definition error at the place of the later question.
 *
 * @example
 * const { codebook, errors } = buildCodebook(new Model(surveyjs), walkSurvey(surveyjs));
 * codebook.columns.map((c) => c.name); // ['age', 'fruit__apple', …]
 */
export function buildCodebook(
  model: Model,
  tree: SurveyTree,
): { codebook: Codebook; errors: DefinitionError[] } {
  const questions: CodebookQuestion[] = [];
  const errors: DefinitionError[] = [];
  const seen = new Map<string, { question: string; place: string }>();
  for (const node of tree.questions) {
    if (NON_VALUE_TYPES.has(node.type)) continue;
    const question = model.getQuestionByName(node.name);
    if (!question) continue;
    const entry = describe(question, node.json, node.page);
    for (const col of entry.columnsOut) {
      const key = col.name.toLowerCase();
      const earlier = seen.get(key);
      if (earlier) {
        errors.push({
          place: `${node.place}.name`,
          message: `export column "${col.name}" of question "${node.name}" collides with a column of question "${earlier.question}" (${earlier.place}); rename one of them`,
        });
      } else {
        seen.set(key, { question: node.name, place: node.place });
      }
    }
    questions.push(entry);
  }
  return { codebook: { questions, columns: questions.flatMap((q) => q.columnsOut) }, errors };
}
