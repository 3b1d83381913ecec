import type { Kysely } from 'kysely';
import type { Database, Dialect } from '../db/index.ts';
import type { Ids } from '../kernel/index.ts';
import type { HeaderPlan } from './header.ts';
import type { MemberRow } from './member-rows.ts';
import {
  type AttributeEntry,
  deleteAttributes,
  insertAttributes,
  type MemberUpsert,
  type StoredMember,
  selectMembers,
  upsertMembers,
} from './member-statements.ts';
import type { AttributeType } from './types.ts';
import { indexEntries } from './values.ts';

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
): AttributeEntry[] {
  const rows: AttributeEntry[] = [];
  for (const [key, text] of Object.entries(attributes)) {
    for (const entry of indexEntries(text, indexedAsList(text, types.get(key)))) {
      rows.push({ memberId, key, text: entry.text, num: entry.num });
    }
  }
  return rows;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Upserts one batch of checked rows by external id inside the caller's transaction. A member's
 * attributes are the stored ones overwritten by the file's columns (an empty cell removes one);
 * a row that changes nothing is not written. Opt-outs are never touched. New members get ids
 * that sort by `at`.
 *
 * @example
 * await db.kysely.transaction().execute((trx) =>
 *   writeBatch(trx, rows, plan, { dialect: db.dialect, ids, at: clock.now(), now, types }),
 * );
 */
export async function writeBatch(
  trx: Kysely<Database>,
  rows: MemberRow[],
  plan: HeaderPlan,
  props: { dialect: Dialect; ids: Ids; at: Date; now: string; types: ReadonlyMap<string, AttributeType> },
): Promise<BatchCounts> {
  const counts: BatchCounts = { inserted: 0, updated: 0, unchanged: 0 };
  if (rows.length === 0) return counts;
  const { dialect } = props;
  const stored = new Map<string, StoredMember>();
  for (const m of await selectMembers(
    trx,
    dialect,
    rows.map((r) => r.externalId),
  ))
    stored.set(m.external_id, m);

  const upserts: MemberUpsert[] = [];
  const replaced: string[] = [];
  const entries: AttributeEntry[] = [];
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
    const id = old?.id ?? props.ids.sortableId('mb', props.at);
    if (old) {
      counts.updated++;
      replaced.push(id);
    } else {
      counts.inserted++;
    }
    upserts.push({ id, externalId: row.externalId, email, name, attributes: json });
    for (const entry of attributeEntries(id, attributes, props.types)) entries.push(entry);
  }

  // In key order, the inserts append to the ends of the b-trees (new ids sort after the stored
  // ones) instead of touching pages all over them.
  upserts.sort((a, b) => compare(a.id, b.id));
  entries.sort((a, b) => compare(a.memberId, b.memberId) || compare(a.key, b.key) || compare(a.text, b.text));
  await upsertMembers(trx, dialect, upserts, props.now);
  await deleteAttributes(trx, dialect, replaced);
  await insertAttributes(trx, dialect, entries);
  return counts;
}
