import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Db, type Dialect, migrateToLatest, openDatabase } from '../../../src/db/index.ts';
import { gentlePgDatabase } from './batch-db.ts';

/** Where a test runs real `enquete` processes: a folder, their environment, the same database. */
export interface CliWorkspace {
  dir: string;
  /** What a spawned `enquete` gets: PATH and HOME, the data folder, jobs.yaml, silent logs (+ DATABASE_URL). */
  env: NodeJS.ProcessEnv;
  /** The processes' database, migrated, for the test to read and write. */
  db: Db;
  /** Closes the handle, drops the PostgreSQL database, removes the folder. */
  close(): Promise<void>;
}

/**
 * A temp folder with `jobs.yaml` (`jobsYaml` is given the folder, for marks the jobs leave in it),
 * the environment a spawned `enquete` process gets, and on PostgreSQL a throwaway database.
 *
 * @example
 * const ws = await cliWorkspace(dialect, 'enquete-own-', (dir) => `[{ name: mark, cmd: 'touch ${dir}/ran' }]`);
 */
export async function cliWorkspace(
  dialect: Dialect,
  prefix: string,
  jobsYaml: (dir: string) => string,
): Promise<CliWorkspace> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'jobs.yaml'), jobsYaml(dir));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    ENQUETE_DATA_DIR: join(dir, 'data'),
    ENQUETE_JOBS: join(dir, 'jobs.yaml'),
    ENQUETE_LOG_LEVEL: 'silent',
  };
  let drop: (() => Promise<void>) | undefined;
  if (dialect === 'postgres') {
    const pg = await gentlePgDatabase();
    env['DATABASE_URL'] = pg.url;
    drop = pg.drop;
  }
  const db = openDatabase({ databaseUrl: env['DATABASE_URL'], dataDir: join(dir, 'data') });
  await migrateToLatest(db);
  return {
    dir,
    env,
    db,
    async close() {
      await db.close();
      await drop?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
