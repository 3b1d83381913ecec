import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, dumpSchema, isUniqueViolation, migrateToLatest, openDatabase } from '../src/db/index.ts';
import { dialects, testDb, throwawayPgUrl } from './helpers/db.ts';

describe.each(dialects())('database on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await testDb(dialect);
  });
  afterEach(() => db.close());

  it('migrates idempotently', async () => {
    expect(await migrateToLatest(db)).toEqual([]);
  });

  it('matches the committed schema dump', async () => {
    const committed = readFileSync(new URL(`../db/schema.${dialect}.sql`, import.meta.url), 'utf8');
    expect(await dumpSchema(db)).toBe(committed);
  });

  it('recognises a unique violation on both dialects', async () => {
    const row = {
      id: 'u1',
      email: 'a@example.org',
      name: null,
      password_hash: 'x',
      role: 'admin' as const,
      client: null,
      created_at: '2026-01-01T00:00:00.000Z',
      disabled_at: null,
    };
    await db.kysely.insertInto('users').values(row).execute();
    const error = await db.kysely
      .insertInto('users')
      .values({ ...row, id: 'u2' })
      .execute()
      .catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
  });
});

describe.runIf(dialects().includes('postgres'))('database on postgres, connections dropped', () => {
  it('replaces an idle connection the server terminated, without crashing the process', async () => {
    const { url, drop } = await throwawayPgUrl();
    const dropped: Error[] = [];
    const db = openDatabase({ databaseUrl: url, poolSize: 2, onIdleError: (e) => dropped.push(e) });
    try {
      const pid = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db.kysely);
      const killer = new pg.Client({ connectionString: url });
      await killer.connect();
      await killer.query('select pg_terminate_backend($1)', [pid.rows[0]!.pid]);
      await killer.end();
      await new Promise((r) => setTimeout(r, 200));
      expect(dropped.map((e) => (e as Error & { code?: string }).code)).toEqual(['57P01']);
      const again = await sql<{ one: number }>`select 1 as one`.execute(db.kysely);
      expect(again.rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
      await drop();
    }
  });
});

describe('database on sqlite, query plans', () => {
  it("walks a wave's invitations in id order from an index, without sorting the wave", async () => {
    const db = await testDb('sqlite');
    try {
      const plan = await sql<{ detail: string }>`explain query plan
        select id, member_id, token, status from invitations
        where wave_id = ${'wv_1'} and id > ${0} order by id limit 500`.execute(db.kysely);
      const details = plan.rows.map((r) => r.detail).join(' | ');
      expect(details).toContain('invitations_wave_order');
      expect(details).not.toContain('TEMP B-TREE');
    } finally {
      await db.close();
    }
  });

  it("counts a wave's messages held for quota from their own index, not from every message of the wave", async () => {
    const db = await testDb('sqlite');
    try {
      const plan = await sql<{ detail: string }>`explain query plan
        select count(*) as n from distribution_outbox
        where wave_id = ${'wv_1'} and status = ${'held'}`.execute(db.kysely);
      expect(plan.rows.map((r) => r.detail)).toEqual([
        'SEARCH distribution_outbox USING COVERING INDEX distribution_outbox_held (wave_id=?)',
      ]);
    } finally {
      await db.close();
    }
  });
});
