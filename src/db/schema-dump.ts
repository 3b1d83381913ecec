import { sql } from 'kysely';
import type { Db } from './database.ts';

/**
 * A stable text rendering of the live schema, committed as `db/schema.<dialect>.sql` so that
 * schema changes show in review; a test fails when the committed dump is stale.
 */
export async function dumpSchema(db: Db): Promise<string> {
  if (db.dialect === 'sqlite') {
    const rows = await sql<{ sql: string }>`
      select sql from sqlite_master
      where sql is not null and name not like 'sqlite_%' and name not like 'kysely_%'
      order by tbl_name, type desc, name`.execute(db.kysely);
    return `${rows.rows.map((r) => `${r.sql.replace(/\s+/g, ' ').trim()};`).join('\n')}\n`;
  }
  const columns = await sql<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
    column_default: string | null;
  }>`
    select table_name, column_name, data_type, is_nullable, column_default
    from information_schema.columns
    where table_schema = current_schema() and table_name not like 'kysely_%'
    order by table_name, ordinal_position`.execute(db.kysely);
  const indexes = await sql<{ indexdef: string }>`
    select indexdef from pg_indexes
    where schemaname = current_schema() and tablename not like 'kysely_%'
    order by tablename, indexname`.execute(db.kysely);
  const lines: string[] = [];
  let table = '';
  for (const c of columns.rows) {
    if (c.table_name !== table) {
      if (table) lines.push(');');
      table = c.table_name;
      lines.push(`create table ${table} (`);
    }
    const def = c.column_default ? ` default ${c.column_default}` : '';
    lines.push(`  ${c.column_name} ${c.data_type}${c.is_nullable === 'NO' ? ' not null' : ''}${def},`);
  }
  if (table) lines.push(');');
  for (const i of indexes.rows) lines.push(`${i.indexdef.replace(/ ON [a-z_]+\./, ' ON ')};`);
  const functions = await sql<{ def: string }>`
    select pg_get_functiondef(p.oid) as def from pg_proc p
    where p.pronamespace = current_schema()::regnamespace order by p.proname`.execute(db.kysely);
  for (const f of functions.rows) lines.push(`${f.def.replace(/ [a-z_]+\.([a-z_]+\()/, ' $1').trim()};`);
  const triggers = await sql<{ def: string }>`
    select pg_get_triggerdef(t.oid) as def from pg_trigger t join pg_class c on c.oid = t.tgrelid
    where not t.tgisinternal and c.relnamespace = current_schema()::regnamespace
    order by c.relname, t.tgname`.execute(db.kysely);
  for (const t of triggers.rows) lines.push(`${t.def.replace(/ ON [a-z_]+\./, ' ON ')};`);
  return `${lines.join('\n')}\n`;
}
