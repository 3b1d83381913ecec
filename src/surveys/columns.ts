import type { ExportColumn } from './types.ts';
import { isPlainObject } from './values.ts';

/** A cell as exports write it: booleans 1/0, lists joined with `;`, objects as JSON. */
function scalar(value: unknown): string | number | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.length === 0 ? null : value.map((v) => String(v)).join(';');
  return JSON.stringify(value);
}

/**
 * The value of one export column in one response's answers (codes, not labels). Unanswered
 * questions give null (an empty cell), also for the 0/1 columns of a multiple choice.
 *
 * @example
 * readColumn({ name: 'fruit__apple', source: { kind: 'choice', question: 'fruit', value: 'apple' }, … },
 *   { fruit: ['apple'] }); // 1
 */
export function readColumn(column: ExportColumn, data: Record<string, unknown>): string | number | null {
  const source = column.source;
  const answer = data[source.question];
  switch (source.kind) {
    case 'value':
      return scalar(answer);
    case 'other':
      return scalar(data[`${source.question}-Comment`]);
    case 'choice':
      if (!Array.isArray(answer)) return null;
      return answer.includes(source.value) ? 1 : 0;
    case 'rank': {
      if (!Array.isArray(answer)) return null;
      const at = answer.indexOf(source.value);
      return at < 0 ? null : at + 1;
    }
    case 'key':
      return isPlainObject(answer) ? scalar(answer[source.key]) : null;
    case 'cell': {
      const row = isPlainObject(answer) ? answer[source.row] : undefined;
      return isPlainObject(row) ? scalar(row[source.column]) : null;
    }
  }
}
