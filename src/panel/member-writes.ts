import type { Insertable, Kysely } from 'kysely';
import type { Database, MemberAttributesTable, MembersTable } from '../db/index.ts';
import type { Ids } from '../kernel/index.ts';
import type { HeaderPlan } from './header.ts';
import type { MemberRow } from './member-rows.ts';
import type { AttributeType } from './types.ts';
import { indexEntries } from './values.ts';

// Parameters per statement stay far below SQLite's 32,766 and PostgreSQL's 65,535.
const membersPerStatement = 1000;
const entriesPerStatement = 2500;
const idsPerStatement = 1000;

export interface BatchCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** A JSON object with its keys in a fixed order, so that equal attributes give equal text. */
export function canonicalJson(attributes: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(attributes).sort()) sorted[key] = attributes[key]!;
  return JSON.stringify(sorted);
}

/**
 * Whether a stored value is indexed element by element: lists are, and so is a `|` in a value of
 * an attribute whose type is still being inferred (inference makes such a column a list).
 */
function indexedAsList(text: string, type: AttributeType | undefined): boolean {
  return type === 'list' || (type === undefined && text.includes('|'));
}

/** The attribute index rows of one member. */
export function attributeEntries(
  memberId: string,
  attributes: Record<string, string>,
  types: ReadonlyMap<string, AttributeType>,
): Insertable<MemberAttributesTable>[] {
  const rows: Insertable<MemberAttributesTable>[] = [];
  for (const [key, text] of Object.entries(attributes)) {
    for (const entry of indexEntries(text, indexedAsList(text, types.get(key)))) {
      rows.push({ member_id: memberId, key, text_value: entry.text, num_value: entry.num });
    }
  }
  return rows;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Upserts one batch of checked rows by external id inside the caller's transaction. A member's
 * attributes are the stored ones overwritten by the file's columns (an empty cell removes one);
 * a row that changes nothing is not written. Opt-outs are never touched.
 *
 * @example
 * await db.kysely.transaction().execute((trx) => writeBatch(trx, rows, plan, { ids, now, types }));
 */
export async function writeBatch(
  trx: Kysely<Database>,
  rows: MemberRow[],
  plan: HeaderPlan,
  props: { ids: Ids; now: string; types: ReadonlyMap<string, AttributeType> },
): Promise<BatchCounts> {
  const counts: BatchCounts = { inserted: 0, updated: 0, unchanged: 0 };
  if (rows.length === 0) return counts;
  const stored = new Map<string, Pick<MembersTable, 'id' | 'email' | 'name' | 'attributes'>>();
  for (const part of chunks(rows, idsPerStatement)) {
    const found = await trx
      .selectFrom('members')
      .select(['id', 'external_id', 'email', 'name', 'attributes'])
      .where(
        'external_id',
        'in',
        part.map((r) => r.externalId),
      )
      .execute();
    for (const m of found) stored.set(m.external_id, m);
  }

  const upserts: Insertable<MembersTable>[] = [];
  const replaced: string[] = [];
  const entries: Insertable<MemberAttributesTable>[] = [];
  for (const row of rows) {
    const old = stored.get(row.externalId);
    const attributes: Record<string, string> = old ? JSON.parse(old.attributes) : {};
    plan.attributes.forEach((column, i) => {
      const value = row.values[i];
      if (value === null || value === undefined) delete attributes[column.key];
      else attributes[column.key] = value;
    });
    const json = canonicalJson(attributes);
    const email = row.email === undefined ? (old?.email ?? null) : row.email;
    const name = row.name === undefined ? (old?.name ?? null) : row.name;
    if (old && old.email === email && old.name === name && old.attributes === json) {
      counts.unchanged++;
      continue;
    }
    const id = old?.id ?? props.ids.id('mb');
    if (old) {
      counts.updated++;
      replaced.push(id);
    } else {
      counts.inserted++;
    }
    upserts.push({
      id,
      external_id: row.externalId,
      email,
      name,
      attributes: json,
      created_at: props.now,
      updated_at: props.now,
    });
    for (const entry of attributeEntries(id, attributes, props.types)) entries.push(entry);
  }

  for (const part of chunks(upserts, membersPerStatement)) {
    await trx
      .insertInto('members')
      .values(part)
      .onConflict((oc) =>
        oc.column('external_id').doUpdateSet((eb) => ({
          email: eb.ref('excluded.email'),
          name: eb.ref('excluded.name'),
          attributes: eb.ref('excluded.attributes'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
  for (const part of chunks(replaced, idsPerStatement)) {
    await trx.deleteFrom('member_attributes').where('member_id', 'in', part).execute();
  }
  for (const part of chunks(entries, entriesPerStatement)) {
    await trx.insertInto('member_attributes').values(part).execute();
  }
  return counts;
}
