import { type CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import { cryptoIds, TestClock } from '../../src/kernel/index.ts';
import { compileSegment } from '../../src/panel/compile-segment.ts';
import { createPanelService, type PanelService } from '../../src/panel/index.ts';
import { parseSegment } from '../../src/panel/segment.ts';
import { dialects, testDb } from '../helpers/db.ts';
import { textStream } from './data.ts';

// Every shape of segment reads member_attributes through an index, on both dialects (PostgreSQL
// with sequential scans disabled, since its tables here are tiny), including number comparisons
// on the partial (key, num_value) index of migration 0013 and a walk's windowed page.
const shapes = [
  'age >= 40',
  'age != 3',
  'age in (1, 2)',
  'age not in (1, 2)',
  'age is empty',
  "region = 'Kanto'",
  "region in ('Kanto', 'Kansai')",
  "tags contains 'a'",
  "tags not contains 'a'",
  'joined < 2024-01-01',
  "not (age < 30) or region != 'x'",
];

describe.each(dialects())('segment query plans on %s', (dialect) => {
  let db: Db;
  let panel: PanelService;

  beforeAll(async () => {
    db = await testDb(dialect);
    panel = createPanelService({ db, clock: new TestClock(), ids: cryptoIds });
    await panel.importMembers(
      textStream(
        'external_id,age,region,tags,joined\nm1,40,Kanto,a|b,2024-01-01\nm2,30,Kansai,b,2023-01-01\nm3,,,,\n',
      ),
    );
  });
  afterAll(() => db.close());

  async function plan(query: CompiledQuery): Promise<string> {
    const rows = await db.kysely.transaction().execute(async (trx) => {
      if (dialect === 'postgres') await sql`set local enable_seqscan = off`.execute(trx);
      const prefix = dialect === 'sqlite' ? 'explain query plan ' : 'explain ';
      const result = await trx.executeQuery<Record<string, string>>({ ...query, sql: prefix + query.sql });
      return result.rows;
    });
    return rows.map((r) => r['detail'] ?? r['QUERY PLAN']).join(' | ');
  }

  function expectIndexed(details: string) {
    if (dialect === 'sqlite') {
      expect(details).not.toMatch(/SCAN member_attributes/);
      expect(details).toMatch(/member_attributes_key_(text|num)/);
    } else {
      expect(details).not.toMatch(/Seq Scan on member_attributes/);
    }
  }

  it.each(shapes)('%s', async (expression) => {
    const condition = await panel.segmentCondition(expression);
    expectIndexed(
      await plan(db.kysely.selectFrom('members').select('members.id').where(condition).compile()),
    );
  });

  it('a number comparison uses the partial (key, num_value) index', async () => {
    const condition = await panel.segmentCondition('age >= 40');
    const details = await plan(
      db.kysely.selectFrom('members').select('members.id').where(condition).compile(),
    );
    expect(details).toContain('member_attributes_key_num');
  });

  it("a walk's page reads only its window of the attribute index", async () => {
    const types = new Map([
      ['tags', 'list' as const],
      ['age', 'number' as const],
    ]);
    const condition = compileSegment(parseSegment("tags contains 'a' or age < 30"), types, {
      after: 'mb_0',
      upto: 'mb_z',
    });
    const query = db.kysely
      .selectFrom('members')
      .select('members.id')
      .where(condition)
      .orderBy('members.id')
      .limit(100)
      .compile();
    const details = await plan(query);
    expectIndexed(details);
    if (dialect === 'sqlite') {
      expect(details).toContain(
        'member_attributes_key_text (key=? AND text_value=? AND member_id>? AND member_id<?)',
      );
    }
  });
});
