import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/db.ts';
import type { TestCtx } from './fixture.ts';
import { publish, quotaContext, tally, tokensOf } from './quota-fixture.ts';

/** 200 women, W001–W200, ages 20 to 69. */
const women = [
  'external_id,gender,age',
  ...Array.from({ length: 200 }, (_, i) => `W${String(i + 1).padStart(3, '0')},F,${20 + (i % 50)}`),
].join('\n');

const answers = { gender: 2, age: 40, shift: 1, sleep: 3 };

describe.each(dialects())('the quota race on %s', (dialect) => {
  let ctx: TestCtx;
  let surveyId: string;
  beforeEach(async () => {
    ctx = await quotaContext(dialect, women);
    surveyId = await publish(ctx);
  });
  afterEach(() => ctx.close());

  const cellCounts = async () =>
    Object.fromEntries(
      (await ctx.distribution.quotas.list(surveyId)).flatMap((q) => q.cells.map((c) => [c.label, c.count])),
    );

  it('200 simultaneous completions of invitations into a cell of 50: exactly 50 complete, 150 quota_full, and every record agrees', async () => {
    await ctx.distribution.quotas.create(
      surveyId,
      { name: 'Women', cells: [{ label: 'Women', memberCondition: "gender = 'F'", limit: 50 }] },
      'test',
    );
    const { wave } = await ctx.distribution.createWave({
      surveyId,
      segment: 'all',
      channel: 'portal',
      actor: 'test',
    });
    const tokens = [...(await tokensOf(ctx, wave.id)).values()];
    expect(tokens).toHaveLength(200);
    for (const token of tokens) await ctx.responses.load(token, { channel: 'portal' });

    // Real concurrency: on PostgreSQL these run on the pool's 20 connections at once.
    const results = await Promise.all(
      tokens.map((token) => ctx.responses.complete(token, { data: answers })),
    );

    expect(tally(results.map((r) => r.status))).toEqual({ completed: 50, quota_full: 150 });
    expect(results.every((r) => !r.repeated)).toBe(true);
    expect(await cellCounts()).toEqual({ Women: 50 });
    expect((await ctx.distribution.quotas.list(surveyId))[0]!.cells[0]!.full).toBe(true);

    const k = ctx.db.kysely;
    const responses = await k.selectFrom('responses').select(['token', 'status']).execute();
    const invitations = await k.selectFrom('invitations').select(['id', 'token', 'status']).execute();
    const byToken = new Map(responses.map((r) => [r.token, r.status]));
    // Each response says what its completion answered, and its invitation says the same.
    results.forEach((r, i) => {
      expect(byToken.get(tokens[i]!)).toBe(r.status);
    });
    for (const inv of invitations)
      expect([inv.token, inv.status]).toEqual([inv.token, byToken.get(inv.token)]);
    expect(tally(invitations.map((i) => i.status))).toEqual({ completed: 50, quota_full: 150 });
    // One final event per invitation, of its status.
    const finals = await k
      .selectFrom('distribution_events')
      .innerJoin('invitations', 'invitations.id', 'distribution_events.invitation_id')
      .select(['invitations.status', 'distribution_events.type'])
      .where('distribution_events.type', 'in', ['completed', 'quota_full', 'screened_out'])
      .execute();
    expect(finals).toHaveLength(200);
    for (const f of finals) expect(f.type).toBe(f.status);
    expect(await ctx.responses.counts(surveyId)).toEqual({
      in_progress: 0,
      completed: 50,
      screened_out: 0,
      quota_full: 150,
    });
    // Repeating a completion changes nothing.
    const again = await Promise.all(
      tokens.slice(0, 20).map((t) => ctx.responses.complete(t, { data: answers })),
    );
    expect(again.map((r) => r.status)).toEqual(results.slice(0, 20).map((r) => r.status));
    expect(await cellCounts()).toEqual({ Women: 50 });
  });

  it('200 simultaneous open-link completions into an answer cell of 50', async () => {
    await ctx.surveys.updateSettings(surveyId, { openLink: true, actor: 'test' });
    await ctx.distribution.quotas.create(
      surveyId,
      { name: 'Shift 1', cells: [{ label: 'Shift 1', answerCondition: '{shift} = 1', limit: 50 }] },
      'test',
    );
    const tokens: string[] = [];
    for (let i = 0; i < 200; i++) tokens.push(await ctx.responses.openLink(surveyId, {}));
    const results = await Promise.all(
      tokens.map((token) => ctx.responses.complete(token, { data: answers })),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ completed: 50, quota_full: 150 });
    expect(await cellCounts()).toEqual({ 'Shift 1': 50 });
    const stored = await ctx.db.kysely.selectFrom('responses').select('status').execute();
    expect(tally(stored.map((r) => r.status))).toEqual({ completed: 50, quota_full: 150 });
  });

  it('200 simultaneous completions falling in two cells (100 and 50): all or nothing keeps both at 50', async () => {
    // Sequential ids: the 100-cell sorts first, so a completion takes it and may then lose the
    // 50-cell to a concurrent one, and must give the first slot back.
    await ctx.distribution.quotas.create(
      surveyId,
      {
        name: 'Both',
        cells: [
          { label: 'Women', memberCondition: "gender = 'F'", limit: 100 },
          { label: 'Shift 1', answerCondition: '{shift} = 1', limit: 50 },
        ],
      },
      'test',
    );
    const { wave } = await ctx.distribution.createWave({
      surveyId,
      segment: 'all',
      channel: 'portal',
      actor: 'test',
    });
    const tokens = [...(await tokensOf(ctx, wave.id)).values()];
    for (const token of tokens) await ctx.responses.load(token, { channel: 'portal' });
    const results = await Promise.all(
      tokens.map((token) => ctx.responses.complete(token, { data: answers })),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ completed: 50, quota_full: 150 });
    expect(await cellCounts()).toEqual({ Women: 50, 'Shift 1': 50 });
  });
});
