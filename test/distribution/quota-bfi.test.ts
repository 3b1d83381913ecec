import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/db.ts';
import { bfiPath, readBfi } from '../panel/data.ts';
import type { TestCtx } from './fixture.ts';
import { publish, quotaContext, tally, tokensOf } from './quota-fixture.ts';

describe.each(dialects())('gender × age quotas over the bfi panel on %s', (dialect) => {
  let ctx: TestCtx;
  beforeAll(async () => {
    ctx = await quotaContext(dialect, readFileSync(bfiPath), 'respondent_id');
  });
  afterAll(() => ctx.close());

  it('fills two cells in completion order to their limits; the rest completes', async () => {
    const surveyId = await publish(ctx);
    await ctx.distribution.quotas.create(
      surveyId,
      {
        name: 'Gender × age',
        cells: [
          { label: 'Women under 40', memberCondition: 'gender = 2 and age < 40', limit: 60 },
          { label: 'Men 40+', memberCondition: 'gender = 1 and age >= 40', limit: 6 },
        ],
      },
      'test',
    );
    const { wave } = await ctx.distribution.createWave({
      surveyId,
      segment: 'education = 1',
      channel: 'portal',
      actor: 'test',
    });
    const tokens = await tokensOf(ctx, wave.id);

    // The independent count, from the file: members with education 1 in respondent_id order
    // (224: 113 women under 40, 83 men under 40, 18 women 40+, 10 men 40+). The first 60 women
    // under 40 and the first 6 men 40+ complete; 53 + 4 = 57 end quota_full; 167 complete.
    const members = readBfi()
      .rows.filter((r) => r['education'] === 1)
      .sort((a, b) => a['respondent_id']! - b['respondent_id']!);
    const taken = { women: 0, men: 0 };
    const expected = new Map<string, string>();
    for (const r of members) {
      const cell =
        r['gender'] === 2 && r['age']! < 40 ? 'women' : r['gender'] === 1 && r['age']! >= 40 ? 'men' : null;
      const limit = cell === 'women' ? 60 : 6;
      const full = cell !== null && taken[cell] >= limit;
      if (cell && !full) taken[cell]++;
      expected.set(String(r['respondent_id']), full ? 'quota_full' : 'completed');
    }
    expect(members).toHaveLength(224);
    expect(tally([...expected.values()])).toEqual({ completed: 167, quota_full: 57 });
    expect([...tokens.keys()].sort()).toEqual([...expected.keys()].sort());

    const outcomes = new Map<string, string>();
    for (const r of members) {
      const id = String(r['respondent_id']);
      const token = tokens.get(id)!;
      await ctx.responses.load(token, { channel: 'portal' });
      // The answers repeat the member's own gender and age; only the member conditions decide here.
      const data = { gender: r['gender'], age: r['age'], shift: 2 };
      outcomes.set(id, (await ctx.responses.complete(token, { data })).status);
    }
    expect(outcomes).toEqual(expected);
    const [quota] = await ctx.distribution.quotas.list(surveyId);
    expect(quota!.cells.map((c) => [c.label, c.count, c.limit, c.full])).toEqual([
      ['Women under 40', 60, 60, true],
      ['Men 40+', 6, 6, true],
    ]);
    expect(await ctx.responses.counts(surveyId)).toEqual({
      in_progress: 0,
      completed: 167,
      screened_out: 0,
      quota_full: 57,
    });
  });
});
