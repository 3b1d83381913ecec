import { type CodebookChoice, type ExportColumn, readColumn } from '../surveys/index.ts';
import { formulaSafe } from './csv.ts';

/**
 * The text of one export cell. Codes are read as the surveys module reads every export column
 * (`readColumn`: lists joined with `;`, booleans and selected choices 1/0, ranks as positions,
 * a missing answer empty). With `labels`, codes become their labels where the column has value
 * labels, element by element in lists; a code without a label stays a code.
 *
 * Text that a person wrote — a free-text answer (a string that is not one of the column's codes)
 * or a label — goes through `formulaSafe`, so a spreadsheet does not run it as a formula. Numbers,
 * codes and list elements (lists only hold codes) are written as they are, so real data keeps its
 * values.
 *
 * @example
 * exportCell(column, { q1: [1, 3] }, true); // 'Rice;Something else' for a column labelled 1 Rice … 3 Something else
 * exportCell(textColumn, { q2: '=1+1' }, false); // "'=1+1"
 */
export function exportCell(column: ExportColumn, data: Record<string, unknown>, labels: boolean): string {
  const cell = cellOf(column, data, labels);
  return cell.text ? formulaSafe(cell.value) : cell.value;
}

/** A cell's value, and whether it begins with text a person wrote (not a number or a code). */
interface Cell {
  value: string;
  text: boolean;
}

const empty: Cell = { value: '', text: false };

function cellOf(column: ExportColumn, data: Record<string, unknown>, labels: boolean): Cell {
  const code = readColumn(column, data);
  if (code === null) return empty;
  const raw = rawAnswer(column.source, data);
  const valueLabels = labels ? column.valueLabels : undefined;
  if (Array.isArray(raw)) {
    // Lists are labelled before they are joined; a spreadsheet only looks at the first element.
    if (!valueLabels) return { value: String(code), text: false };
    const parts = raw.map((v) => labelOf(v, valueLabels, false));
    return { value: parts.map((p) => p.value).join(';'), text: parts[0]?.text ?? false };
  }
  if (valueLabels) return labelOf(raw === undefined ? code : raw, valueLabels, true);
  return { value: String(code), text: typeof raw === 'string' && !isCode(raw, column.valueLabels) };
}

/** The stored answer behind a column (undefined for the 0/1 and rank columns, which are numbers). */
function rawAnswer(source: ExportColumn['source'], data: Record<string, unknown>): unknown {
  switch (source.kind) {
    case 'value':
      return data[source.question];
    case 'other':
      return data[`${source.question}-Comment`];
    case 'key':
      return objectOf(data[source.question])?.[source.key];
    case 'cell':
      return objectOf(objectOf(data[source.question])?.[source.row])?.[source.column];
    default:
      return undefined;
  }
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function isCode(value: string, valueLabels: CodebookChoice[] | undefined): boolean {
  return valueLabels?.some((c) => String(c.value) === value) ?? false;
}

/** The label of a code; a code without one stays itself (a string scalar then is free text). */
function labelOf(value: unknown, valueLabels: CodebookChoice[], scalar: boolean): Cell {
  const code = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  const found = valueLabels.find((c) => String(c.value) === String(code));
  if (found) return { value: found.label, text: true };
  if (typeof code === 'string') return { value: code, text: scalar };
  return { value: typeof code === 'number' ? String(code) : JSON.stringify(code), text: false };
}
