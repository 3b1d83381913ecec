import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/index.ts';
import { readAttributeTypes } from './attribute-types.ts';
import type { AttributeCatalogueEntry, AttributeType } from './types.ts';

/** Distinct values listed per attribute unless asked otherwise. */
export const defaultCatalogueValues = 20;
const maxCatalogueValues = 100;

/**
 * The distinct values of one attribute in index order, at most `limit`: a loose index scan (each
 * step one seek for the next larger value in `member_attributes_key_num` or `…_key_text`), so a
 * value shared by a million members costs one seek, not a million rows.
 */
async function distinctValues(
  db: Kysely<Database>,
  key: string,
  column: 'num_value' | 'text_value',
  limit: number,
): Promise<(number | string)[]> {
  const col = sql.ref(column);
  // The (key, num_value) index holds only the rows that have a number.
  const present = column === 'num_value' ? sql`and num_value is not null` : sql``;
  const result = await sql<{ x: number | string }>`
    with recursive v(x, n) as (
      select min(${col}), 1 from member_attributes where key = ${key} ${present}
      union all
      select (select min(${col}) from member_attributes where key = ${key} and ${col} > v.x), v.n + 1
      from v where v.x is not null and v.n < ${sql.lit(limit)}
    )
    select x from v where x is not null`.execute(db);
  return result.rows.map((r) => (column === 'num_value' ? Number(r.x) : String(r.x)));
}

async function largest(
  db: Kysely<Database>,
  key: string,
  column: 'num_value' | 'text_value',
): Promise<number | string | null> {
  const row = await db
    .selectFrom('member_attributes')
    .select((eb) => eb.fn.max(column).as('x'))
    .where('key', '=', key)
    .$if(column === 'num_value', (q) => q.where('num_value', 'is not', null))
    .executeTakeFirst();
  const x = row?.x ?? null;
  if (x === null) return null;
  return column === 'num_value' ? Number(x) : String(x);
}

async function entry(
  db: Kysely<Database>,
  key: string,
  type: AttributeType,
  limit: number,
): Promise<AttributeCatalogueEntry> {
  const column = type === 'number' ? 'num_value' : 'text_value';
  const values = await distinctValues(db, key, column, limit + 1);
  const more = values.length > limit;
  if (more) values.length = limit;
  if (type !== 'number' && type !== 'date') return { key, type, values, more };
  // Numbers and ISO dates sort by value in their index, so the first is the smallest.
  const min = values[0] ?? null;
  const max = more ? await largest(db, key, column) : (values.at(-1) ?? null);
  return { key, type, values, more, min, max };
}

/**
 * Every attribute with its type and its distinct values (list elements for lists) in order,
 * smallest first, at most `values` of them (default 20, at most 100); numbers and dates also give
 * their range. Opted-out members' values are included: the catalogue describes what was imported.
 *
 * @example
 * await attributeCatalogue(db.kysely);
 * // → [{ key: 'age', type: 'number', values: [16, 17, …], more: true, min: 16, max: 86 }, …]
 */
export async function attributeCatalogue(
  db: Kysely<Database>,
  options: { values?: number } = {},
): Promise<AttributeCatalogueEntry[]> {
  const limit = Math.min(
    Math.max(1, Math.trunc(options.values ?? defaultCatalogueValues)),
    maxCatalogueValues,
  );
  const types = [...(await readAttributeTypes(db))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: AttributeCatalogueEntry[] = [];
  for (const [key, type] of types) out.push(await entry(db, key, type, limit));
  return out;
}
