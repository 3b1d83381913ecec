import { type Selectable, sql } from 'kysely';
import type { Db, MembersTable } from '../db/index.ts';
import type { Clock } from '../kernel/index.ts';
import { readAttributeTypes } from './attribute-types.ts';
import type { SegmentCondition } from './compile-segment.ts';
import { panelErrors } from './errors.ts';
import type { AttributeType, AttributeValue, Member, MemberPage } from './types.ts';
import { typedValue } from './values.ts';

const maxPage = 1000;

/** A stored member as the API shows it, attributes typed by the catalogue. */
export function toMember(row: Selectable<MembersTable>, types: ReadonlyMap<string, AttributeType>): Member {
  const raw: Record<string, string> = JSON.parse(row.attributes);
  const attributes: Record<string, AttributeValue> = {};
  for (const [key, text] of Object.entries(raw)) attributes[key] = typedValue(text, types.get(key));
  return {
    id: row.id,
    externalId: row.external_id,
    email: row.email,
    name: row.name,
    attributes,
    optedOutAt: row.opted_out_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function getMember(db: Db, externalId: string): Promise<Member> {
  const row = await db.kysely
    .selectFrom('members')
    .selectAll()
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  if (!row) throw panelErrors.memberNotFound(externalId);
  return toMember(row, await readAttributeTypes(db.kysely));
}

/** Members by their internal ids, in no particular order; unknown ids are left out. */
export async function membersByIds(db: Db, ids: string[]): Promise<Member[]> {
  if (ids.length === 0) return [];
  const types = await readAttributeTypes(db.kysely);
  const out: Member[] = [];
  for (let i = 0; i < ids.length; i += maxPage) {
    const rows = await db.kysely
      .selectFrom('members')
      .selectAll()
      .where('id', 'in', ids.slice(i, i + maxPage))
      .execute();
    for (const row of rows) out.push(toMember(row, types));
  }
  return out;
}

function likePattern(text: string, leading: boolean): string {
  const escaped = text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
  return leading ? `${escaped}%` : `%${escaped}%`;
}

type MemberFilter = { q?: string | undefined; condition?: SegmentCondition | undefined };

/** The members matching a search text and/or a compiled segment, as a query to narrow further. */
function filtered(db: Db, filter: MemberFilter) {
  let q = db.kysely.selectFrom('members');
  const search = filter.q?.trim();
  if (search) {
    // Same answer on both dialects: lower() both sides, and an explicit escape character.
    const leading = likePattern(search, true);
    const inside = likePattern(search, false);
    q = q.where((eb) =>
      eb.or([
        eb('members.external_id', '=', search),
        sql<boolean>`lower(${eb.ref('members.external_id')}) like ${leading} escape '\\'`,
        sql<boolean>`lower(${eb.ref('members.email')}) like ${inside} escape '\\'`,
        sql<boolean>`lower(${eb.ref('members.name')}) like ${inside} escape '\\'`,
      ]),
    );
  }
  if (filter.condition) q = q.where(filter.condition);
  return q;
}

/**
 * One page of members in external-id order, narrowed by a search text and/or a compiled segment;
 * with `total`, also how many match on all pages.
 */
export async function listMembers(
  db: Db,
  query: MemberFilter & { limit?: number; after?: string | undefined; total?: boolean | undefined },
): Promise<MemberPage> {
  const limit = query.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxPage) {
    throw panelErrors.queryInvalid(`limit must be a whole number from 1 to ${maxPage}`);
  }
  let q = filtered(db, query).selectAll();
  if (query.after !== undefined) q = q.where('members.external_id', '>', query.after);
  const rows = await q
    .orderBy('members.external_id')
    .limit(limit + 1)
    .execute();
  const types = await readAttributeTypes(db.kysely);
  const page = rows.slice(0, limit);
  const result: MemberPage = {
    members: page.map((r) => toMember(r, types)),
    next: rows.length > limit ? page[page.length - 1]!.external_id : null,
  };
  if (query.total) {
    const row = await filtered(db, query)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    result.total = Number(row.n);
  }
  return result;
}

/**
 * Records an opt-out. The first time stays: a later opt-out or re-import never moves or clears it.
 */
export async function optOut(db: Db, clock: Clock, externalId: string, at?: Date): Promise<Member> {
  const when = (at ?? clock.now()).toISOString();
  const result = await db.kysely
    .updateTable('members')
    .set((eb) => ({ opted_out_at: eb.fn.coalesce('opted_out_at', eb.val(when)) }))
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw panelErrors.memberNotFound(externalId);
  return getMember(db, externalId);
}
