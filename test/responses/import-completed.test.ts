import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import { type Ids, sequentialIds } from '../../src/kernel/index.ts';
import { dialects, testDb } from '../helpers/db.ts';
import { publishedSurvey, type Services, services } from './fixture.ts';

const at = '2010-05-01T00:00:00.000Z';

function rows(n: number, from = 1) {
  return Array.from({ length: n }, (_, i) => ({
    externalRef: `r${from + i}`,
    data: { age: 20 + ((from + i) % 50), lunch: ((from + i) % 3) + 1, satisfaction: ((from + i) % 5) + 1 },
    completedAt: at,
  }));
}

/** Ids that hand out one row id twice after `after` ids: the database refuses that insert. */
function idsWithCollision(after: number): Ids {
  const base = sequentialIds(1000);
  let n = 0;
  let first = '';
  return {
    token: base.token,
    sortableId: base.sortableId,
    id: (prefix) => {
      n++;
      const id = base.id(prefix);
      if (n === 1) first = id;
      return n === after + 1 ? first : id;
    },
  };
}

describe.each(dialects())('importCompleted on %s', (dialect) => {
  let db: Db;
  let s: Services;
  let surveyId: string;

  beforeEach(async () => {
    db = await testDb(dialect);
    s = services(db);
    surveyId = await publishedSurvey(s);
  });
  afterEach(() => db.close());

  const stored = () =>
    db.kysely
      .selectFrom('responses')
      .selectAll()
      .where('survey_id', '=', surveyId)
      .orderBy('external_ref')
      .execute();

  it('inserts valid rows as completed, rejects invalid ones with their issues', async () => {
    const input = [
      ...rows(3),
      { externalRef: 'bad-choice', data: { age: 30, lunch: 9, satisfaction: 2 }, completedAt: at },
      { externalRef: 'missing', data: { age: 30, lunch: 1 }, completedAt: at },
      { externalRef: 'minor', data: { age: 15 }, completedAt: at },
      {
        externalRef: 'hidden',
        data: { age: 30, lunch: 1, lunch_other: 'x', satisfaction: 5 },
        completedAt: at,
      },
    ];
    const result = await s.responses.importCompleted(surveyId, input);
    expect(result.inserted).toBe(5);
    expect(result.skipped).toBe(0);
    expect(
      result.rejected.map((r) => [r.externalRef, r.issues.map((i) => `${i.question}:${i.code}`)]),
    ).toEqual([
      ['bad-choice', ['lunch:NOT_A_CHOICE']],
      ['missing', ['satisfaction:REQUIRED']],
    ]);
    const byRef = new Map((await stored()).map((r) => [r.external_ref, r]));
    expect(byRef.get('r1')).toMatchObject({
      status: 'completed',
      version: 1,
      channel: 'import',
      completed_at: at,
      started_at: at,
    });
    expect(JSON.parse(byRef.get('r1')!.data)).toEqual({ age: 21, lunch: 2, satisfaction: 2 });
    expect(byRef.get('minor')?.status).toBe('screened_out');
    expect(JSON.parse(byRef.get('hidden')!.data)).toEqual({ age: 30, lunch: 1, satisfaction: 5 });
    const tokens = new Set((await stored()).map((r) => r.token));
    expect(tokens.size).toBe(5);
  });

  it('is idempotent by external reference: a re-run inserts nothing new', async () => {
    expect(await s.responses.importCompleted(surveyId, rows(1200))).toMatchObject({
      inserted: 1200,
      skipped: 0,
    });
    expect(await s.responses.importCompleted(surveyId, rows(1200))).toEqual({
      inserted: 0,
      skipped: 1200,
      rejected: [],
    });
    // r1195…r1204: six are there already (r1195…r1200), four are new.
    expect(await s.responses.importCompleted(surveyId, rows(10, 1195))).toMatchObject({
      inserted: 4,
      skipped: 6,
    });
    expect(await s.responses.counts(surveyId)).toEqual({ in_progress: 0, completed: 1204, screened_out: 0 });
  });

  it('leaves nothing behind when the database fails half-way through a call', async () => {
    // 1,200 rows go in as three INSERTs in one transaction; the second one hits a duplicate id.
    const failing = services(db, idsWithCollision(700));
    const error = await failing.responses.importCompleted(surveyId, rows(1200)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(await stored()).toEqual([]);
    expect(await s.responses.importCompleted(surveyId, rows(1200))).toMatchObject({ inserted: 1200 });
  });

  it('refuses an unpublished or unknown survey', async () => {
    const draft = await s.surveys.importSurvey({
      source: '{"title":"D","pages":[{"elements":[{"type":"text","name":"a"}]}]}',
      actor: 'test',
    });
    await expect(s.responses.importCompleted(draft.id, rows(1))).rejects.toMatchObject({
      code: 'SURVEY_NOT_PUBLISHED',
    });
    await expect(s.responses.importCompleted('sv_nope', rows(1))).rejects.toMatchObject({
      code: 'SURVEY_NOT_FOUND',
    });
  });
});
