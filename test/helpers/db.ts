import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Db, type Dialect, migrateToLatest, openDatabase } from '../../src/db/index.ts';

/** The dialects this run covers: SQLite always, PostgreSQL unless global setup found none. */
export function dialects(): Dialect[] {
  return process.env['ENQUETE_TEST_PG'] === 'off' ? ['sqlite'] : ['sqlite', 'postgres'];
}

/**
 * A fresh, migrated database of the given dialect: SQLite in memory (or a temp file when
 * `file` is given, for tests that need several connections), PostgreSQL as a throwaway database
 * dropped by `close()`.
 *
 * @example
 * describe.each(dialects())('surveys on %s', (dialect) => {
 *   let db: Db;
 *   beforeEach(async () => { db = await testDb(dialect); });
 *   afterEach(() => db.close());
 * });
 */
export async function testDb(dialect: Dialect, opts: { sqliteFile?: string } = {}): Promise<Db> {
  if (dialect === 'sqlite') {
    const db = openDatabase({ sqlitePath: opts.sqliteFile ?? ':memory:' });
    await migrateToLatest(db);
    return db;
  }
  const pgdb = await throwawayPgUrl();
  const db = openDatabase({ databaseUrl: pgdb.url, poolSize: 20 });
  await migrateToLatest(db);
  return {
    ...db,
    close: async () => {
      await db.close();
      await pgdb.drop();
    },
  };
}

/** The URL of a fresh throwaway PostgreSQL database (for tests that start the server process). */
export async function throwawayPgUrl(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = process.env['ENQUETE_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `enquete_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
