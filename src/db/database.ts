import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  SqliteDialect,
} from 'kysely';
import pg from 'pg';
import { EnqueteError } from '../kernel/index.ts';
import { up0001 } from './migrations/0001-initial.ts';
import { up0002 } from './migrations/0002-responses-order.ts';
import { up0003 } from './migrations/0003-batch.ts';
import { up0004 } from './migrations/0004-panel.ts';
import { up0005 } from './migrations/0005-distribution.ts';
import { up0006 } from './migrations/0006-quotas.ts';
import { up0007 } from './migrations/0007-external-engines.ts';
import { up0008 } from './migrations/0008-batch-running.ts';
import { up0009 } from './migrations/0009-portal-index.ts';
import { up0010 } from './migrations/0010-invitations-wave-order.ts';
import { up0011 } from './migrations/0011-batch-heartbeat.ts';
import { up0012 } from './migrations/0012-portal-changes.ts';
import { up0013 } from './migrations/0013-member-attributes-num-partial.ts';
import { up0014 } from './migrations/0014-open-link-keys.ts';
import { up0015 } from './migrations/0015-outbox-held.ts';
import type { Database } from './schema.ts';
import { statementCache } from './statement-cache.ts';

export type Dialect = 'sqlite' | 'postgres';

/** The one object that holds the database: Kysely plus what the SQL builders need to know. */
export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  close(): Promise<void>;
}

export interface OpenDatabaseProps {
  /** `postgres://…`; when absent, SQLite at `sqlitePath`. */
  databaseUrl?: string | undefined;
  /** SQLite file; `:memory:` for a throwaway database. Defaults to `<dataDir>/enquete.sqlite`. */
  sqlitePath?: string;
  dataDir?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /**
   * Told of an error on an idle PostgreSQL connection (the server restarted or dropped it); the
   * pool discards that connection and opens another when needed. Default: ignored.
   */
  onIdleError?: (error: Error) => void;
}

/**
 * Opens SQLite (WAL, foreign keys on) or PostgreSQL behind one Kysely type.
 *
 * @example
 * const db = openDatabase({ dataDir: './data' });
 * await migrateToLatest(db);
 */
export function openDatabase(props: OpenDatabaseProps): Db {
  if (props.databaseUrl) {
    // Keep bigint/numeric as JS numbers where they fit: counts come back as int8.
    pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
    const pool = new pg.Pool({ connectionString: props.databaseUrl, max: props.poolSize ?? 10 });
    // Without a listener, an idle connection that the server terminates crashes the process.
    pool.on('error', props.onIdleError ?? (() => {}));
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
  }
  let path = props.sqlitePath;
  if (!path) {
    if (!props.dataDir)
      throw new EnqueteError('DB_CONFIG', 'invalid', 'either sqlitePath or dataDir is required');
    mkdirSync(props.dataDir, { recursive: true });
    path = join(props.dataDir, 'enquete.sqlite');
  }
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: statementCache(sqlite) }) });
  return { kysely, dialect: 'sqlite', close: () => kysely.destroy() };
}

/** Numbered migrations, in order. Add a file per change; never edit a shipped one. */
export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-initial': { up: up0001(dialect) },
    '0002-responses-order': { up: up0002 },
    '0003-batch': { up: up0003(dialect) },
    '0004-panel': { up: up0004(dialect) },
    '0005-distribution': { up: up0005(dialect) },
    '0006-quotas': { up: up0006(dialect) },
    '0007-external-engines': { up: up0007 },
    '0008-batch-running': { up: up0008 },
    '0009-portal-index': { up: up0009(dialect) },
    '0010-invitations-wave-order': { up: up0010(dialect) },
    '0011-batch-heartbeat': { up: up0011 },
    '0012-portal-changes': { up: up0012(dialect) },
    '0013-member-attributes-num-partial': { up: up0013 },
    '0014-open-link-keys': { up: up0014 },
    '0015-outbox-held': { up: up0015 },
  };
}

/** Brings the schema to the latest migration; throws DB_MIGRATION_FAILED naming the migration. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(db.dialect) };
  const migrator = new Migrator({ db: db.kysely, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new EnqueteError(
      'DB_MIGRATION_FAILED',
      'internal',
      `migration ${failed?.migrationName ?? '?'} failed: ${String(error)}`,
      { cause: error },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * True when the error is a unique-constraint violation, on either dialect. Lets callers turn a
 * lost insert race into an idempotent answer.
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string } | undefined;
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
