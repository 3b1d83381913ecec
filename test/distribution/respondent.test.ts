import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { createResponseService } from '../../src/responses/index.ts';
import { dialects } from '../helpers/db.ts';
import {
  completeAnswers,
  distributionContext,
  eventsOf,
  invitationsByMember,
  publishedSurvey,
  type TestCtx,
} from './fixture.ts';

describe.each(dialects())('invitation tokens answering on %s', (dialect) => {
  let ctx: TestCtx;
  let surveyId: string;
  let waveId: string;
  beforeEach(async () => {
    ctx = await distributionContext(dialect);
    surveyId = await publishedSurvey(ctx);
    const created = await ctx.distribution.createWave({
      surveyId,
      segment: "region = 'Kanto'",
      deadline: '2026-04-10T00:00:00Z',
      actor: 'test',
    });
    waveId = created.wave.id;
  });
  afterEach(() => ctx.close());

  const invitation = async (externalId: string) => (await invitationsByMember(ctx, waveId)).get(externalId)!;

  it('records opened (with the channel), started and completed, each once, in order', async () => {
    const { token, id } = await invitation('M01');
    const view = await ctx.responses.load(token, { channel: 'email' });
    expect(view).toMatchObject({ surveyId, version: 1, status: 'in_progress', data: {}, page: 0 });
    await ctx.responses.load(token, { channel: 'portal' });
    expect(await invitation('M01')).toMatchObject({ status: 'opened', opened_channel: 'email' });

    await ctx.responses.savePartial(token, { data: { age: 40 }, page: 0 });
    await ctx.responses.savePartial(token, { data: { age: 40, shift: 2 }, page: 1 });
    expect((await invitation('M01')).status).toBe('started');

    const result = await ctx.responses.complete(token, { data: completeAnswers });
    expect(result).toMatchObject({ status: 'completed', repeated: false });
    expect(await ctx.responses.complete(token, { data: completeAnswers })).toMatchObject({ repeated: true });
    // A late visit does not move a finished invitation back.
    await ctx.responses.load(token, { channel: 'portal' });
    expect((await invitation('M01')).status).toBe('completed');
    expect(await eventsOf(ctx, id)).toEqual([
      'invited/email',
      'opened/email',
      'started/email',
      'completed/email',
    ]);
    const response = await ctx.db.kysely
      .selectFrom('responses')
      .selectAll()
      .where('token', '=', token)
      .executeTakeFirstOrThrow();
    expect(response).toMatchObject({ survey_id: surveyId, status: 'completed', channel: 'email' });
  });

  it('records screened_out with the entry channel', async () => {
    const m02 = await invitation('M02');
    await ctx.responses.load(m02.token, { channel: 'portal' });
    const out = await ctx.responses.complete(m02.token, { data: { ...completeAnswers, age: 16 } });
    expect(out).toMatchObject({ status: 'screened_out', html: '<p>Adults only.</p>' });
    expect(await eventsOf(ctx, m02.id)).toEqual(['invited/email', 'opened/portal', 'screened_out/portal']);
    expect((await invitation('M02')).status).toBe('screened_out');
  });

  it('unknown tokens, closed surveys, passed deadlines and waves not started are refused', async () => {
    const m03 = await invitation('M03');
    await expect(ctx.responses.load('no-such-token')).rejects.toMatchObject({
      code: 'RESPONSE_TOKEN_UNKNOWN',
    });
    ctx.clock.set('2026-04-10T00:00:00Z');
    await expect(ctx.responses.load(m03.token)).rejects.toMatchObject({ code: 'INVITATION_NOT_OPEN' });
    ctx.clock.set('2026-04-02T00:00:00Z');
    await ctx.surveys.updateSettings(surveyId, { closed: true, actor: 'test' });
    await expect(ctx.responses.load(m03.token)).rejects.toMatchObject({ code: 'INVITATION_NOT_OPEN' });
    await ctx.surveys.updateSettings(surveyId, { closed: false, actor: 'test' });
    const later = await ctx.distribution.createWave({
      surveyId,
      segment: "region = 'Kansai'",
      channel: 'portal',
      startAt: '2026-05-01T00:00:00Z',
      actor: 'test',
    });
    const m06 = (await invitationsByMember(ctx, later.wave.id)).get('M06')!;
    await expect(ctx.responses.load(m06.token)).rejects.toMatchObject({ code: 'INVITATION_NOT_OPEN' });
    // Nothing was written by the refusals.
    expect(await eventsOf(ctx, m03.id)).toEqual(['invited/email']);
    expect(await ctx.db.kysely.selectFrom('responses').selectAll().execute()).toEqual([]);
    // Once open again, the link works.
    expect((await ctx.responses.load(m03.token, { channel: 'email' })).status).toBe('in_progress');
  });

  it('a partial save before any load starts the response: opened, then started, once each', async () => {
    const { token, id } = await invitation('M01');
    await ctx.responses.savePartial(token, { data: { age: 40 }, page: 0 });
    expect(await invitation('M01')).toMatchObject({ status: 'started', opened_channel: null });
    await ctx.responses.savePartial(token, { data: { age: 40, shift: 2 }, page: 1 });
    // The page's own first load comes after; it names the entry channel the save could not.
    const view = await ctx.responses.load(token, { channel: 'portal' });
    expect(view).toMatchObject({ status: 'in_progress', data: { age: 40, shift: 2 }, page: 1 });
    expect(await ctx.responses.complete(token, { data: completeAnswers })).toMatchObject({
      status: 'completed',
      repeated: false,
    });
    expect(await eventsOf(ctx, id)).toEqual([
      'invited/email',
      'opened/-',
      'started/email',
      'completed/email',
    ]);
    const rows = await ctx.db.kysely.selectFrom('responses').selectAll().where('token', '=', token).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      survey_id: surveyId,
      version: 1,
      status: 'completed',
      channel: 'portal',
    });
  });

  it('a completion before any load starts and completes the response: opened, then completed', async () => {
    const { token, id } = await invitation('M02');
    expect(await ctx.responses.complete(token, { data: completeAnswers })).toMatchObject({
      status: 'completed',
      repeated: false,
    });
    expect(await ctx.responses.complete(token, { data: completeAnswers })).toMatchObject({
      status: 'completed',
      repeated: true,
    });
    expect((await invitation('M02')).status).toBe('completed');
    expect(await eventsOf(ctx, id)).toEqual(['invited/email', 'opened/-', 'completed/email']);

    // An invalid first completion still opens the invitation (as a first visit would), once.
    const m03 = await invitation('M03');
    await expect(ctx.responses.complete(m03.token, { data: { age: 40 } })).rejects.toMatchObject({
      code: 'RESPONSE_INVALID',
    });
    await expect(ctx.responses.complete(m03.token, { data: { age: 40 } })).rejects.toMatchObject({
      code: 'RESPONSE_INVALID',
    });
    expect(await eventsOf(ctx, m03.id)).toEqual(['invited/email', 'opened/-']);
    expect((await ctx.responses.complete(m03.token, { data: { ...completeAnswers, age: 16 } })).status).toBe(
      'screened_out',
    );
    expect(await eventsOf(ctx, m03.id)).toEqual(['invited/email', 'opened/-', 'screened_out/email']);
  });

  it('after the deadline a never-opened token is refused by every call; an opened one may finish', async () => {
    const opened = await invitation('M05');
    await ctx.responses.load(opened.token, { channel: 'email' });
    const never = await invitation('M08');
    ctx.clock.set('2026-04-10T00:00:00Z');
    await expect(ctx.responses.complete(never.token, { data: completeAnswers })).rejects.toMatchObject({
      code: 'INVITATION_NOT_OPEN',
    });
    await expect(
      ctx.responses.savePartial(never.token, { data: { age: 40 }, page: 0 }),
    ).rejects.toMatchObject({
      code: 'INVITATION_NOT_OPEN',
    });
    await expect(ctx.responses.load(never.token)).rejects.toMatchObject({ code: 'INVITATION_NOT_OPEN' });
    expect(await eventsOf(ctx, never.id)).toEqual(['invited/email']);
    expect((await invitation('M08')).status).toBe('invited');
    await expect(ctx.responses.complete('no-such-token', { data: completeAnswers })).rejects.toMatchObject({
      code: 'RESPONSE_TOKEN_UNKNOWN',
    });
    await expect(ctx.responses.savePartial('no-such-token', { data: {}, page: 0 })).rejects.toMatchObject({
      code: 'RESPONSE_TOKEN_UNKNOWN',
    });

    await ctx.responses.savePartial(opened.token, { data: { age: 40 }, page: 0 });
    // Closing the survey stops new starts, not a response already started (docs/surveys.md).
    await ctx.surveys.updateSettings(surveyId, { closed: true, actor: 'test' });
    await ctx.responses.savePartial(opened.token, { data: { age: 40, shift: 2 }, page: 1 });
    expect((await ctx.responses.complete(opened.token, { data: completeAnswers })).status).toBe('completed');
    expect(await eventsOf(ctx, opened.id)).toEqual([
      'invited/email',
      'opened/email',
      'started/email',
      'completed/email',
    ]);
  });

  it('over HTTP, PUT and complete work on an invitation token never loaded; after the deadline, 409', async () => {
    const app = await buildApp(ctx);
    try {
      const m01 = await invitation('M01');
      const put = await app.inject({
        method: 'PUT',
        url: `/api/v1/respond/${m01.token}`,
        payload: { data: { age: 40 }, page: 0 },
      });
      expect([put.statusCode, put.json()]).toEqual([200, { saved: true }]);
      const m02 = await invitation('M02');
      const done = await app.inject({
        method: 'POST',
        url: `/api/v1/respond/${m02.token}/complete`,
        payload: { data: completeAnswers },
      });
      expect([done.statusCode, done.json()]).toEqual([
        200,
        { status: 'completed', html: null, repeated: false },
      ]);
      expect(await eventsOf(ctx, m02.id)).toEqual(['invited/email', 'opened/-', 'completed/email']);

      ctx.clock.set('2026-04-10T00:00:00Z');
      const m03 = await invitation('M03');
      const late = await app.inject({
        method: 'POST',
        url: `/api/v1/respond/${m03.token}/complete`,
        payload: { data: completeAnswers },
      });
      expect([late.statusCode, late.json().error.code]).toEqual([409, 'INVITATION_NOT_OPEN']);
      const latePut = await app.inject({
        method: 'PUT',
        url: `/api/v1/respond/${m03.token}`,
        payload: { data: { age: 40 }, page: 0 },
      });
      expect([latePut.statusCode, latePut.json().error.code]).toEqual([409, 'INVITATION_NOT_OPEN']);
      const get = await app.inject({ method: 'GET', url: `/api/v1/respond/${m03.token}` });
      expect([get.statusCode, get.json().error.code]).toEqual([409, 'INVITATION_NOT_OPEN']);
      // M01 opened before the deadline: it may still finish.
      const finish = await app.inject({
        method: 'POST',
        url: `/api/v1/respond/${m01.token}/complete`,
        payload: { data: completeAnswers },
      });
      expect([finish.statusCode, finish.json().status]).toEqual([200, 'completed']);
    } finally {
      await app.close();
    }
  });

  it('first visits racing each other start one response and record one opened', async () => {
    const { token, id } = await invitation('M05');
    await Promise.all(Array.from({ length: 10 }, () => ctx.responses.load(token, { channel: 'email' })));
    expect(await eventsOf(ctx, id)).toEqual(['invited/email', 'opened/email']);
    const rows = await ctx.db.kysely
      .selectFrom('responses')
      .select('id')
      .where('token', '=', token)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('a completion hook saying quota_full makes the response and the invitation quota_full, in one transaction', async () => {
    const seen: unknown[] = [];
    const responses = createResponseService({
      ...ctx,
      invitations: {
        ...ctx.distribution.gate,
        onComplete: async (_trx, input) => {
          seen.push(input);
          return 'quota_full';
        },
      },
    });
    const m08 = await invitation('M08');
    const memberId = (await ctx.panel.getMember('M08')).id;
    await responses.load(m08.token, { channel: 'email' });
    const result = await responses.complete(m08.token, { data: completeAnswers });
    expect(result).toMatchObject({ status: 'quota_full', repeated: false, html: null });
    expect(seen).toEqual([{ surveyId, versionId: 1, invitationId: m08.id, memberId, data: completeAnswers }]);
    expect(await responses.complete(m08.token, { data: completeAnswers })).toMatchObject({
      status: 'quota_full',
      repeated: true,
    });
    expect((await invitation('M08')).status).toBe('quota_full');
    expect(await eventsOf(ctx, m08.id)).toEqual(['invited/email', 'opened/email', 'quota_full/email']);

    // A hook that fails rolls the completion back: the response stays in progress.
    const failing = createResponseService({
      ...ctx,
      invitations: {
        ...ctx.distribution.gate,
        onComplete: async () => {
          throw new Error('quota store down');
        },
      },
    });
    const m01 = await invitation('M01');
    await failing.load(m01.token, {});
    await expect(failing.complete(m01.token, { data: completeAnswers })).rejects.toThrow('quota store down');
    const row = await ctx.db.kysely
      .selectFrom('responses')
      .select('status')
      .where('token', '=', m01.token)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('in_progress');
    expect((await invitation('M01')).status).toBe('opened');
  });

  it('open-link completions pass the hook null invitation and member', async () => {
    const seen: unknown[] = [];
    const responses = createResponseService({
      ...ctx,
      invitations: {
        ...ctx.distribution.gate,
        onComplete: async (_trx, input) => {
          seen.push(input);
          return 'completed';
        },
      },
    });
    await ctx.surveys.updateSettings(surveyId, { openLink: true, actor: 'test' });
    const token = await responses.openLink(surveyId, {});
    expect(await responses.complete(token, { data: completeAnswers })).toMatchObject({ status: 'completed' });
    expect(seen).toEqual([
      { surveyId, versionId: 1, invitationId: null, memberId: null, data: completeAnswers },
    ]);
  });
});
