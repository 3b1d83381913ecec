import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import { dialects, testDb } from '../helpers/db.ts';
import { publishedSurvey, type Services, services } from './fixture.ts';

describe.each(dialects())('concurrent completions on %s', (dialect) => {
  let db: Db;
  let dir: string;
  let s: Services;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enquete-concurrent-'));
    // SQLite on a file (WAL) as in production; PostgreSQL through a pool of 20 connections.
    db = await testDb(dialect, { sqliteFile: join(dir, 'enquete.sqlite') });
    s = services(db);
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('20 simultaneous completions of one token store exactly one response', async () => {
    const surveyId = await publishedSurvey(s);
    const token = await s.responses.openLink(surveyId, {});
    // The visit stored nothing: the first of these writes the response row.
    expect(await db.kysely.selectFrom('responses').select('id').execute()).toEqual([]);
    // Each attempt sends different remarks, so the stored row tells which attempt won; partial
    // saves race them too.
    const attempts = Array.from({ length: 20 }, (_, i) =>
      s.responses.complete(token, {
        data: { age: 30 + i, lunch: 2, satisfaction: 3, remarks: `attempt ${i}` },
      }),
    );
    const saves = Array.from({ length: 5 }, () =>
      s.responses.savePartial(token, { data: { age: 99 }, page: 0 }).catch((e: { code: string }) => e.code),
    );
    const [results, saved] = await Promise.all([Promise.all(attempts), Promise.all(saves)]);
    // A save either went in before the completion or found the response submitted.
    for (const r of saved) expect([undefined, 'RESPONSE_CLOSED']).toContain(r);

    const winners = results.flatMap((r, i) => (r.repeated ? [] : [i]));
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.repeated)).toHaveLength(19);
    const rows = await db.kysely
      .selectFrom('responses')
      .selectAll()
      .where('survey_id', '=', surveyId)
      .execute();
    expect(rows).toHaveLength(1);
    const stored = rows[0]!;
    expect(stored.status).toBe('completed');
    const winner = winners[0]!;
    expect(JSON.parse(stored.data)).toEqual({
      age: 30 + winner,
      lunch: 2,
      satisfaction: 3,
      remarks: `attempt ${winner}`,
    });
    for (const r of results) expect([r.responseId, r.status, r.html]).toEqual([stored.id, 'completed', null]);
  });
});
