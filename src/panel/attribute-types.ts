import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { AttributeType } from './types.ts';

/** The attribute catalogue: every key's type, as fixed by the import that first brought it. */
export async function readAttributeTypes(db: Kysely<Database>): Promise<Map<string, AttributeType>> {
  const rows = await db.selectFrom('member_attribute_types').select(['key', 'type']).execute();
  return new Map(rows.map((r) => [r.key, r.type]));
}

/** Records (or, while the import that owns them runs, revises) the types of attribute keys. */
export async function writeAttributeTypes(
  db: Kysely<Database>,
  types: { key: string; type: AttributeType }[],
  now: string,
): Promise<void> {
  for (const { key, type } of types) {
    await db
      .insertInto('member_attribute_types')
      .values({ key, type, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('key').doUpdateSet({ type, updated_at: now }))
      .execute();
  }
}
