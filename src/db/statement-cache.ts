import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * A better-sqlite3 database as Kysely's SQLite dialect sees it, with `prepare` answering from a
 * least-recently-used cache of statements by SQL text. Kysely prepares every query it runs, and
 * preparing costs as much as running an indexed lookup (the portal's four-table join spent more
 * time in `prepare` than in the query): with the cache, a hot statement is compiled once.
 *
 * Sharing a statement is safe because the dialect runs one query at a time on its single
 * connection (a stream holds the connection until it ends); SQLite re-prepares a cached statement
 * by itself after a schema change.
 *
 * @example
 * const sqlite = new SQLite(path);
 * const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: statementCache(sqlite) }) });
 */
export function statementCache(database: SqliteDatabase, capacity = 500): SqliteDatabase {
  // A Map iterates in insertion order: re-inserting on a hit keeps the least recent first.
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => {
      statements.clear();
      database.close();
    },
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (statements.size >= capacity) statements.delete(statements.keys().next().value!);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}
