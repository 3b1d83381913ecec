import pg from 'pg';
import { type Db, type Dialect, migrateToLatest, openDatabase } from '../../../src/db/index.ts';
import { testDb, throwawayPgUrl } from '../../helpers/db.ts';

/**
 * A throwaway PostgreSQL database whose `drop` waits for the connections of closed pools to go.
 * pg's `Pool.end()` resolves before its clients' sockets are closed; dropping the database `with
 * (force)` at that moment kills them, and the dying client's error reaches the pool, which has no
 * error listener: an uncaught exception in an unrelated test. A plain `drop database`, retried
 * while the database is still in use, avoids that.
 */
export async function gentlePgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = process.env['ENQUETE_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const { url, drop: forceDrop } = await throwawayPgUrl();
  const name = new URL(url).pathname.slice(1);
  return {
    url,
    drop: async () => {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        for (let i = 0; i < 100; i++) {
          try {
            await client.query(`drop database if exists ${name}`);
            return;
          } catch (error) {
            // 55006: the database is still being accessed.
            if ((error as { code?: string }).code !== '55006') throw error;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      } finally {
        await client.end();
      }
      await forceDrop();
    },
  };
}

/** Like `testDb`, with the gentle drop for PostgreSQL. */
export async function batchTestDb(dialect: Dialect): Promise<Db> {
  if (dialect === 'sqlite') return testDb('sqlite');
  const pgdb = await gentlePgDatabase();
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
