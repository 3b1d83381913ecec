import type { Kysely } from 'kysely';
import type { Database, Db } from '../db/index.ts';
import { readAttributeTypes } from './attribute-types.ts';
import { compileSegment, type SegmentCondition } from './compile-segment.ts';
import { parseSegment } from './segment.ts';

/** Parses and compiles a segment against the current attribute types, read through `within` if given. */
export async function segmentCondition(
  db: Db,
  expression: string,
  within?: Kysely<Database>,
): Promise<SegmentCondition> {
  const node = parseSegment(expression);
  return compileSegment(node, await readAttributeTypes(within ?? db.kysely));
}

export async function countSegment(db: Db, expression: string): Promise<number> {
  const condition = await segmentCondition(db, expression);
  const row = await db.kysely
    .selectFrom('members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(condition)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The ids of every member in the segment, page by page in id order. Each page is its own query,
 * so members opting out meanwhile drop out of the pages still to come.
 */
export async function* segmentMemberIds(
  db: Db,
  expression: string,
  pageSize = 5000,
): AsyncGenerator<string[], void, undefined> {
  const condition = await segmentCondition(db, expression);
  let after: string | null = null;
  for (;;) {
    let q = db.kysely.selectFrom('members').select('members.id').where(condition);
    if (after !== null) q = q.where('members.id', '>', after);
    const rows = await q.orderBy('members.id').limit(pageSize).execute();
    if (rows.length === 0) return;
    yield rows.map((r) => r.id);
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.id;
  }
}
