import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import { bfiDir, demoClient, runDemo } from '../../src/demo/index.ts';
import { dialects, testDb } from '../helpers/db.ts';
import { type Services, services } from '../responses/fixture.ts';

const header = readFileSync(join(bfiDir, 'bfi.csv'), 'utf8').split('\n')[0]!;

/** A demo folder with the real label files and a hand-written bfi.csv. */
function demoDir(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'enquete-bfi-'));
  for (const file of ['bfi-items.csv', 'bfi-codes.csv']) copyFileSync(join(bfiDir, file), join(dir, file));
  writeFileSync(join(dir, 'bfi.csv'), `${[header, ...lines].join('\n')}\n`);
  return dir;
}

const answers25 = (value: string) => Array.from({ length: 25 }, () => value).join(',');

describe.each(dialects())('runDemo on %s', (dialect) => {
  let db: Db;
  let s: Services;
  let dir: string;

  beforeEach(async () => {
    db = await testDb(dialect);
    s = services(db);
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores codes as numbers, leaves empty cells unanswered, reports progress and rejects bad rows', async () => {
    dir = demoDir([
      `1001,${answers25('6')},2,5,86`,
      `1002,${answers25('')},1,,3`,
      `1003,${answers25('7')},1,1,40`,
      `1004,${answers25('1')},3,1,40`,
    ]);
    const progress: [number, number][] = [];
    const result = await runDemo(
      { surveys: s.surveys, responses: s.responses, clock: s.clock },
      { dir, batchSize: 3, onProgress: (done, total) => progress.push([done, total]) },
    );
    expect(progress).toEqual([
      [0, 4],
      [3, 4],
      [4, 4],
    ]);
    expect(result).toMatchObject({ created: true, respondents: 4, inserted: 2, skipped: 0 });
    expect(result.rejected.map((r) => r.externalRef)).toEqual(['1003', '1004']);
    expect(result.rejected[0]!.issues).toHaveLength(25);
    expect(result.rejected[1]!.issues.map((i) => [i.question, i.code])).toEqual([['gender', 'NOT_A_CHOICE']]);

    const rows = await db.kysely.selectFrom('responses').selectAll().orderBy('external_ref').execute();
    expect(rows.map((r) => [r.external_ref, r.status, r.channel])).toEqual([
      ['1001', 'completed', 'import'],
      ['1002', 'completed', 'import'],
    ]);
    const first = JSON.parse(rows[0]!.data) as Record<string, unknown>;
    expect(Object.keys(first)).toHaveLength(28);
    expect([first['A1'], first['O5'], first['gender'], first['education'], first['age']]).toEqual([
      6, 6, 2, 5, 86,
    ]);
    expect(JSON.parse(rows[1]!.data)).toEqual({ gender: 1, age: 3 });

    const [survey] = await s.surveys.list({ client: demoClient });
    expect(survey).toMatchObject({ id: result.surveyId, currentVersion: 1, openLink: true });
  });

  it('finds its survey again instead of making a second one', async () => {
    dir = demoDir([`1001,${answers25('2')},1,1,30`]);
    const deps = { surveys: s.surveys, responses: s.responses, clock: s.clock };
    const first = await runDemo(deps, { dir });
    const second = await runDemo(deps, { dir });
    expect(second).toMatchObject({ surveyId: first.surveyId, created: false, inserted: 0, skipped: 1 });
    expect(await s.surveys.list({ client: demoClient })).toHaveLength(1);
  });

  it('names the line of a broken data file', async () => {
    dir = demoDir([`1001,${answers25('2')},1,1,30`, `1002,${answers25('x')},1,1,30`]);
    await expect(
      runDemo({ surveys: s.surveys, responses: s.responses, clock: s.clock }, { dir }),
    ).rejects.toMatchObject({
      code: 'DEMO_DATA_INVALID',
      message: expect.stringContaining('bfi.csv:3: A1 is not a number: x'),
    });
  });
});
