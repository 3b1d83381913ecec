import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Panel: members, their typed attribute index and the attribute catalogue.
 *
 * `members.attributes` keeps each member's attributes as imported (JSON object of raw text) for
 * reading and for telling an unchanged row from a changed one. `member_attributes` is the index the
 * segments query: one row per value (a list attribute has one row per element), the text always,
 * the number when the text is one. ISO dates are compared as text, so they need no column of their
 * own. On PostgreSQL the text columns use the "C" collation so that ordering and ranges compare
 * bytes, as SQLite does.
 */
export function up0004(dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    const bytewiseText = dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
    await db.schema
      .createTable('members')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('external_id', bytewiseText, (c) => c.notNull().unique())
      .addColumn('email', 'text')
      .addColumn('name', 'text')
      .addColumn('attributes', 'text', (c) => c.notNull())
      .addColumn('opted_out_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    const attributes = db.schema
      .createTable('member_attributes')
      .addColumn('member_id', 'text', (c) => c.notNull().references('members.id').onDelete('cascade'))
      .addColumn('key', bytewiseText, (c) => c.notNull())
      .addColumn('text_value', bytewiseText, (c) => c.notNull())
      .addColumn('num_value', dialect === 'postgres' ? 'double precision' : 'real')
      .addPrimaryKeyConstraint('member_attributes_pk', ['member_id', 'key', 'text_value']);
    // SQLite: the table is its primary key's b-tree, one structure less to write on import.
    await (dialect === 'sqlite' ? attributes.modifyEnd(sql`without rowid`) : attributes).execute();
    await db.schema
      .createIndex('member_attributes_key_num')
      .on('member_attributes')
      .columns(['key', 'num_value'])
      .execute();
    await db.schema
      .createIndex('member_attributes_key_text')
      .on('member_attributes')
      .columns(['key', 'text_value'])
      .execute();

    await db.schema
      .createTable('member_attribute_types')
      .addColumn('key', bytewiseText, (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  };
}
