import { panelErrors } from './errors.ts';
import type { AttributeType } from './types.ts';

/** The key option that numbers members by the line their record starts on. */
export const lineKey = '@line';

/** Names a member's own fields take in files and segments; no attribute may be called so. */
export const memberFields = ['external_id', 'email', 'name'] as const;

const maxKeyLength = 100;
const typeSuffix = /^(.*?)\s*:\s*(number|date|text|list)$/i;

export interface AttributeColumn {
  index: number;
  key: string;
  /** The type written in the header (`age:number`), or null to infer it. */
  declared: AttributeType | null;
}

/** How the columns of a file map onto members. */
export interface HeaderPlan {
  width: number;
  /** Column of the external id; null when ids are line numbers (`@line`). */
  keyIndex: number | null;
  keyName: string;
  emailIndex: number | null;
  nameIndex: number | null;
  attributes: AttributeColumn[];
}

/** A header cell without surrounding blanks and single quotes (`'popul'` → `popul`). */
function cleanName(cell: string): string {
  const name = cell.trim();
  return name.length >= 2 && name.startsWith("'") && name.endsWith("'") ? name.slice(1, -1).trim() : name;
}

/**
 * Reads the header: the key column (`key`, default `external_id`, or `@line`), `email` and `name`
 * (any case) as member fields, every other column an attribute, optionally typed `name:type`.
 *
 * @example
 * planHeader(['external_id', 'email', 'age:number'], 'external_id').attributes
 * // → [{ index: 2, key: 'age', declared: 'number' }]
 */
export function planHeader(cells: string[], key: string): HeaderPlan {
  const columns = cells.map((cell, index) => {
    const name = cleanName(cell);
    const typed = typeSuffix.exec(name);
    return typed
      ? { index, name: typed[1]!, declared: typed[2]!.toLowerCase() as AttributeType }
      : { index, name, declared: null };
  });
  const firstSeen = new Map<string, number>();
  for (const column of columns) {
    if (column.name === '')
      throw panelErrors.csvInvalid(`column ${column.index + 1} of the header has no name`);
    const earlier = firstSeen.get(column.name);
    if (earlier !== undefined) {
      throw panelErrors.csvInvalid(
        `the header names ${column.name} twice (columns ${earlier + 1} and ${column.index + 1})`,
      );
    }
    firstSeen.set(column.name, column.index);
  }

  const keyIndex = key === lineKey ? null : (firstSeen.get(key) ?? null);
  if (key !== lineKey && keyIndex === null) {
    throw panelErrors.csvInvalid(
      `the header has no column ${key}: name the key column with --key COLUMN, or number members by line with --key ${lineKey}`,
    );
  }
  const fieldIndex = (field: string) =>
    columns.find((c) => c.name.toLowerCase() === field && c.declared === null)?.index ?? null;
  const emailIndex = fieldIndex('email');
  const nameIndex = fieldIndex('name');

  const attributes: AttributeColumn[] = [];
  for (const column of columns) {
    if (column.index === keyIndex || column.index === emailIndex || column.index === nameIndex) continue;
    if ((memberFields as readonly string[]).includes(column.name.toLowerCase())) {
      throw panelErrors.csvInvalid(
        `column ${column.name} clashes with the member field of that name; rename it or make it the key`,
      );
    }
    if (column.name.length > maxKeyLength) {
      throw panelErrors.csvInvalid(
        `column ${column.index + 1}: a name has at most ${maxKeyLength} characters`,
      );
    }
    attributes.push({ index: column.index, key: column.name, declared: column.declared });
  }
  return { width: cells.length, keyIndex, keyName: key, emailIndex, nameIndex, attributes };
}
