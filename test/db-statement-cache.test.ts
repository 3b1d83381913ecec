import SQLite from 'better-sqlite3';
import { Kysely, type SqliteDatabase, SqliteDialect, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { statementCache } from '../src/db/statement-cache.ts';

/** A real in-memory SQLite whose `prepare` calls are counted by SQL text. */
function countingSqlite() {
  const sqlite = new SQLite(':memory:');
  const prepared: string[] = [];
  const database: SqliteDatabase = {
    close: () => sqlite.close(),
    prepare: (text) => {
      prepared.push(text);
      return sqlite.prepare(text);
    },
  };
  return { sqlite, database, prepared };
}

describe('statement cache', () => {
  it('prepares a statement once however often it runs, and keeps the most recently used', async () => {
    const { database, prepared } = countingSqlite();
    const cached = statementCache(database, 2);
    const kysely = new Kysely<Record<string, never>>({ dialect: new SqliteDialect({ database: cached }) });
    await sql`create table t (a integer)`.execute(kysely);
    for (let i = 0; i < 3; i++) await sql`insert into t (a) values (${i})`.execute(kysely);
    expect((await sql<{ n: number }>`select count(*) as n from t`.execute(kysely)).rows).toEqual([{ n: 3 }]);
    expect(prepared).toEqual([
      'create table t (a integer)',
      'insert into t (a) values (?)',
      'select count(*) as n from t',
    ]);

    // Capacity 2: the insert (used before the count) is the one that goes; the count stays.
    await sql`select a from t order by a`.execute(kysely);
    await sql`select count(*) as n from t`.execute(kysely);
    await sql`insert into t (a) values (${9})`.execute(kysely);
    expect(prepared.slice(3)).toEqual(['select a from t order by a', 'insert into t (a) values (?)']);
    await kysely.destroy();
  });

  it('answers a cached statement with the schema as it is now', async () => {
    const { database } = countingSqlite();
    const kysely = new Kysely<Record<string, never>>({
      dialect: new SqliteDialect({ database: statementCache(database) }),
    });
    await sql`create table t (a integer)`.execute(kysely);
    await sql`insert into t (a) values (1)`.execute(kysely);
    expect((await sql`select * from t`.execute(kysely)).rows).toEqual([{ a: 1 }]);
    await sql`alter table t add column b text default 'x'`.execute(kysely);
    expect((await sql`select * from t`.execute(kysely)).rows).toEqual([{ a: 1, b: 'x' }]);
    await kysely.destroy();
  });
});
