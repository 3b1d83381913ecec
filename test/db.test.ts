import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, dumpSchema, isUniqueViolation, migrateToLatest } from '../src/db/index.ts';
import { dialects, testDb } from './helpers/db.ts';

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
