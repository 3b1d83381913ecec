import type { AttributeType, AttributeValue } from './types.ts';

/** Longest attribute value or list element, in characters: keeps index entries within PostgreSQL's limit. */
export const maxValueLength = 1000;

// No leading '+' or zeros: "007" and "+81…" are codes, not quantities, and stay text.
const numberPattern = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a plain decimal number such as `42`, `-1.5` or `2e3`. */
export function isNumberText(text: string): boolean {
  return numberPattern.test(text) && Number.isFinite(Number(text));
}

/** True for a calendar date written YYYY-MM-DD (`2024-02-29` yes, `2023-02-29` no). */
export function isIsoDate(text: string): boolean {
  const m = datePattern.exec(text);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The elements of a list value `a|b|c`: trimmed, empty ones dropped, each once, in order. */
export function splitList(text: string): string[] {
  const seen = new Set<string>();
  for (const part of text.split('|')) {
    const element = part.trim();
    if (element !== '') seen.add(element);
  }
  return [...seen];
}

/** Why a value does not fit a type, or null when it does. */
export function valueProblem(text: string, type: AttributeType): string | null {
  if (type === 'number' && !isNumberText(text)) return `${JSON.stringify(text)} is not a number`;
  if (type === 'date' && !isIsoDate(text)) return `${JSON.stringify(text)} is not a date (YYYY-MM-DD)`;
  return null;
}

/** A stored attribute text as the API shows it. */
export function typedValue(text: string, type: AttributeType | undefined): AttributeValue {
  if (type === 'number') return Number(text);
  if (type === 'list') return splitList(text);
  return text;
}

/** The index rows of one value: one per list element, the number beside the text when it is one. */
export function indexEntries(text: string, asList: boolean): { text: string; num: number | null }[] {
  const parts = asList ? splitList(text) : [text];
  return parts.map((part) => ({ text: part, num: isNumberText(part) ? Number(part) : null }));
}

/**
 * Infers a column's type from all its non-empty values: `list` when any value holds a `|`, else
 * `number` when every value is a number, `date` when every value is a date, else `text`.
 */
export class TypeInference {
  #values = 0;
  #numbers = true;
  #dates = true;
  #pipe = false;

  add(text: string): void {
    this.#values++;
    if (this.#pipe) return;
    if (text.includes('|')) this.#pipe = true;
    if (this.#numbers && !isNumberText(text)) this.#numbers = false;
    if (this.#dates && !isIsoDate(text)) this.#dates = false;
  }

  /** The inferred type, or null when the column had no value at all. */
  result(): AttributeType | null {
    if (this.#values === 0) return null;
    if (this.#pipe) return 'list';
    if (this.#numbers) return 'number';
    if (this.#dates) return 'date';
    return 'text';
  }
}
