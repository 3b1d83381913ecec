import { type Kysely, sql } from 'kysely';
import type { Database, Dialect, MembersTable } from '../db/index.ts';

// The import's statements take a whole batch as one array parameter (`json_each` on SQLite,
// `unnest` on PostgreSQL): one short statement per batch instead of thousands of bound values,
// which Kysely would build, compile and SQLite prepare anew for every batch size.

/** A stored member as the import compares it with a record. */
export type StoredMember = Pick<MembersTable, 'id' | 'external_id' | 'email' | 'name' | 'attributes'>;

/** A member row to insert, or to update by its external id. */
export interface MemberUpsert {
  id: string;
  externalId: string;
  email: string | null;
  name: string | null;
  attributes: string;
}

/** One row of the attribute index: one per value, one per element of a list. */
export interface AttributeEntry {
  memberId: string;
  key: string;
  text: string;
  num: number | null;
}

/** The stored members among these external ids. */
export async function selectMembers(
  trx: Kysely<Database>,
  dialect: Dialect,
  externalIds: string[],
): Promise<StoredMember[]> {
  const within =
    dialect === 'sqlite'
      ? sql`(select value from json_each(${JSON.stringify(externalIds)}))`
      : sql`(select unnest(${externalIds}::text[]))`;
  const result = await sql<StoredMember>`
    select id, external_id, email, name, attributes from members
    where external_id in ${within}`.execute(trx);
  return result.rows;
}

/** Inserts new members and updates the e-mail, name and attributes of stored ones (by external id). */
export async function upsertMembers(
  trx: Kysely<Database>,
  dialect: Dialect,
  rows: MemberUpsert[],
  now: string,
): Promise<void> {
  if (rows.length === 0) return;
  const source =
    dialect === 'sqlite'
      ? sql`select j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, ${now}, ${now}
          from json_each(${JSON.stringify(rows.map((r) => [r.id, r.externalId, r.email, r.name, r.attributes]))}) j
          where true`
      : sql`select x.id, x.external_id, x.email, x.name, x.attributes, ${now}, ${now}
          from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.externalId)}::text[],
            ${rows.map((r) => r.email)}::text[], ${rows.map((r) => r.name)}::text[],
            ${rows.map((r) => r.attributes)}::text[]) as x(id, external_id, email, name, attributes)`;
  await sql`
    insert into members (id, external_id, email, name, attributes, created_at, updated_at)
    ${source}
    on conflict (external_id) do update set email = excluded.email, name = excluded.name,
      attributes = excluded.attributes, updated_at = excluded.updated_at`.execute(trx);
}

/** Removes every attribute index row of these members. */
export async function deleteAttributes(
  trx: Kysely<Database>,
  dialect: Dialect,
  memberIds: string[],
): Promise<void> {
  if (memberIds.length === 0) return;
  const within =
    dialect === 'sqlite'
      ? sql`(select value from json_each(${JSON.stringify(memberIds)}))`
      : sql`(select unnest(${memberIds}::text[]))`;
  await sql`delete from member_attributes where member_id in ${within}`.execute(trx);
}

/** Inserts attribute index rows. */
export async function insertAttributes(
  trx: Kysely<Database>,
  dialect: Dialect,
  entries: AttributeEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  // JSON carries each number as the shortest text that reads back as the same double, and
  // SQLite reads it back exactly, so num_value is the value `Number(text)` gave.
  const source =
    dialect === 'sqlite'
      ? sql`select j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3
          from json_each(${JSON.stringify(entries.map((e) => [e.memberId, e.key, e.text, e.num]))}) j`
      : sql`select * from unnest(${entries.map((e) => e.memberId)}::text[], ${entries.map((e) => e.key)}::text[],
          ${entries.map((e) => e.text)}::text[], ${entries.map((e) => e.num)}::float8[])`;
  await sql`insert into member_attributes (member_id, key, text_value, num_value) ${source}`.execute(trx);
}
