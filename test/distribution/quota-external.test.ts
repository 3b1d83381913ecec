import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { dialects } from '../helpers/db.ts';
import { distributionContext, invitationsByMember, publishedSurvey, type TestCtx } from './fixture.ts';
import { tally } from './quota-fixture.ts';

type Outcome = 'complete' | 'screenout' | 'quotafull';

/** The signature as docs/external-engines.md defines it, computed here independently. */
const sign = (secret: string, token: string, outcome: Outcome) =>
  createHmac('sha256', secret).update(`${token}.${outcome}`).digest('base64url');

/**
 * Return links of an external engine and quotas. The wave invites every member of panelCsv:
 * Kanto = M01, M02, M03, M05, M08 (5); Kansai = M04, M06, M07, M09, M10 (5).
 */
describe.each(dialects())('external completions and quotas on %s', (dialect) => {
  let ctx: TestCtx;
  let app: FastifyInstance;
  let surveyId: string;
  let waveId: string;
  let secret: string;

  beforeEach(async () => {
    ctx = await distributionContext(dialect);
    app = await buildApp(ctx);
    surveyId = await publishedSurvey(ctx);
    const created = await ctx.distribution.createWave({
      surveyId,
      segment: 'all',
      externalUrl: 'https://engine.example/s?rid={token}',
      actor: 'test',
    });
    waveId = created.wave.id;
    secret = created.returnLinks!.secret;
  });
  afterEach(async () => {
    await app.close();
    await ctx.close();
  });

  const invitation = async (externalId: string) => (await invitationsByMember(ctx, waveId)).get(externalId)!;
  const back = async (externalId: string, outcome: Outcome = 'complete') => {
    const { token } = await invitation(externalId);
    return app.inject({ method: 'GET', url: `/r/${token}/${outcome}?sig=${sign(secret, token, outcome)}` });
  };
  const counts = async () =>
    Object.fromEntries(
      (await ctx.distribution.quotas.list(surveyId)).flatMap((q) => q.cells.map((c) => [c.label, c.count])),
    );
  const quota = (
    cells: { label: string; memberCondition?: string; answerCondition?: string; limit: number }[],
  ) => ctx.distribution.quotas.create(surveyId, { name: 'Q', cells }, 'test');

  it('a complete takes a slot of the member cells and totals it falls in; cells on answers are not judged', async () => {
    await quota([
      { label: 'Kanto', memberCondition: "region = 'Kanto'", limit: 3 },
      { label: 'Kansai', memberCondition: "region = 'Kansai'", limit: 3 },
      { label: 'Total', limit: 10 },
      // Would match every set of answers, and none at all: without answers it is not judged.
      { label: 'No age given', answerCondition: '{age} empty', limit: 10 },
    ]);
    expect((await back('M01')).body).toContain('<h1>Thank you</h1>');
    expect((await back('M06')).statusCode).toBe(200);
    expect((await back('M02', 'screenout')).statusCode).toBe(200);
    expect((await back('M03', 'quotafull')).statusCode).toBe(200);
    // By hand: M01 → Kanto + Total; M06 → Kansai + Total; screen-out and quota-full take nothing.
    expect(await counts()).toEqual({ Kanto: 1, Kansai: 1, Total: 2, 'No age given': 0 });
    expect((await ctx.distribution.progress(waveId)).byStatus).toMatchObject({
      invited: 6,
      completed: 2,
      screened_out: 1,
      quota_full: 1,
    });
  });

  it('a complete falling in a full cell is recorded quota_full, takes nothing anywhere, and says what the engine reported', async () => {
    await quota([
      { label: 'Kanto', memberCondition: "region = 'Kanto'", limit: 1 },
      { label: 'Total', limit: 10 },
    ]);
    expect((await back('M01')).statusCode).toBe(200);
    const full = await back('M02');
    expect(full.statusCode).toBe(200);
    expect(full.body).toContain('all the answers it needs from your group');
    expect((await invitation('M02')).status).toBe('quota_full');
    const events = await ctx.db.kysely
      .selectFrom('distribution_events')
      .select(['type', 'detail'])
      .where('invitation_id', '=', (await invitation('M02')).id)
      .orderBy('id')
      .execute();
    expect(events.map((e) => [e.type, e.detail === null ? null : JSON.parse(e.detail)])).toEqual([
      ['invited', null],
      ['quota_full', { reported: 'complete' }],
    ]);
    // Kansai still has room in the total: completed.
    expect((await back('M06')).statusCode).toBe(200);
    expect((await invitation('M06')).status).toBe('completed');
    expect(await counts()).toEqual({ Kanto: 1, Total: 2 });

    // A replay of either link takes nothing more and is refused as before.
    const replay = await back('M01');
    expect([replay.statusCode, replay.json().error.code]).toEqual([409, 'RETURN_ALREADY_RECORDED']);
    const again = await back('M02');
    expect(again.json().error.details).toMatchObject({ status: 'quota_full' });
    expect(await counts()).toEqual({ Kanto: 1, Total: 2 });
  });

  it('a forged complete takes no slot', async () => {
    await quota([{ label: 'Total', limit: 10 }]);
    const { token } = await invitation('M01');
    const forged = await app.inject({
      method: 'GET',
      url: `/r/${token}/complete?sig=${sign('not the secret', token, 'complete')}`,
    });
    expect(forged.statusCode).toBe(403);
    const other = await app.inject({
      method: 'GET',
      url: `/r/${token}/complete?sig=${sign(secret, token, 'screenout')}`,
    });
    expect(other.statusCode).toBe(403);
    expect(await counts()).toEqual({ Total: 0 });
    expect((await invitation('M01')).status).toBe('invited');
  });

  it('simultaneous completes into a cell of 2: exactly 2 completed; the same link at once records once', async () => {
    await quota([{ label: 'Kanto', memberCondition: "region = 'Kanto'", limit: 2 }]);
    const kanto = ['M01', 'M02', 'M03', 'M05', 'M08'];
    const answers = await Promise.all(kanto.map((m) => back(m)));
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    const statuses = await Promise.all(kanto.map(async (m) => (await invitation(m)).status));
    expect(tally(statuses)).toEqual({ completed: 2, quota_full: 3 });
    expect(await counts()).toEqual({ Kanto: 2 });

    await ctx.distribution.quotas.create(
      surveyId,
      { name: 'T', cells: [{ label: 'Total', limit: 10 }] },
      'test',
    );
    const same = await Promise.all(Array.from({ length: 8 }, () => back('M06')));
    expect(tally(same.map((r) => String(r.statusCode)))).toEqual({ 200: 1, 409: 7 });
    const m06 = await invitation('M06');
    expect(m06.status).toBe('completed');
    const finals = await ctx.db.kysely
      .selectFrom('distribution_events')
      .select('type')
      .where('invitation_id', '=', m06.id)
      .execute();
    expect(finals.map((e) => e.type)).toEqual(['invited', 'completed']);
    // M06 (Kansai) counts once in the total, not in Kanto.
    expect(await counts()).toEqual({ Kanto: 2, Total: 1 });
  });
});
