import { type CodebookChoice, type ExportColumn, readColumn } from '../surveys/index.ts';

/**
 * The text of one export cell. Codes are read as the surveys module reads every export column
 * (`readColumn`: lists joined with `;`, booleans and selected choices 1/0, ranks as positions,
 * a missing answer empty). With `labels`, codes become their labels where the column has value
 * labels, element by element in lists; a code without a label stays a code.
 *
 * @example
 * exportCell(column, { q1: [1, 3] }, true); // 'Rice;Something else' for a column labelled 1 Rice … 3 Something else
 */
export function exportCell(column: ExportColumn, data: Record<string, unknown>, labels: boolean): string {
  const valueLabels = labels ? column.valueLabels : undefined;
  if (!valueLabels) return text(readColumn(column, data));
  const source = column.source;
  // Lists are labelled before they are joined, so these kinds read the raw answer themselves.
  if (source.kind === 'value' || source.kind === 'key' || source.kind === 'cell') {
    const raw = readColumn(column, data) === null ? undefined : rawAnswer(source, data);
    if (Array.isArray(raw)) return raw.map((v) => labelOf(v, valueLabels)).join(';');
    if (raw !== undefined) return labelOf(raw, valueLabels);
  }
  const code = readColumn(column, data);
  return code === null ? '' : labelOf(code, valueLabels);
}

function text(value: string | number | null): string {
  return value === null ? '' : String(value);
}

function rawAnswer(source: ExportColumn['source'], data: Record<string, unknown>): unknown {
  const answer = data[source.question];
  if (source.kind === 'key') return objectOf(answer)?.[source.key];
  if (source.kind === 'cell') return objectOf(objectOf(answer)?.[source.row])?.[source.column];
  return answer;
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function labelOf(value: unknown, valueLabels: CodebookChoice[]): string {
  const code = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  const found = valueLabels.find((c) => String(c.value) === String(code));
  if (found) return found.label;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : JSON.stringify(code);
}
