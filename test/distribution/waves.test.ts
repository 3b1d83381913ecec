import { createReadStream } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDistributionService } from '../../src/distribution/index.ts';
import { dialects } from '../helpers/db.ts';
import { bfiPath, readBfi } from '../panel/data.ts';
import {
  completeAnswers,
  distributionContext,
  eventsOf,
  invitationsByMember,
  kanto,
  panelSurvey,
  publishedSurvey,
  startTime,
  type TestCtx,
} from './fixture.ts';

describe.each(dialects())('waves on %s', (dialect) => {
  let ctx: TestCtx;
  beforeEach(async () => {
    ctx = await distributionContext(dialect);
  });
  afterEach(() => ctx.close());

  async function counts() {
    const k = ctx.db.kysely;
    const n = async (table: 'waves' | 'invitations' | 'distribution_events') =>
      Number(
        (
          await k
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      waves: await n('waves'),
      invitations: await n('invitations'),
      events: await n('distribution_events'),
    };
  }

  it('invites every member of the segment once, with unguessable tokens and an invited event each', async () => {
    const surveyId = await publishedSurvey(ctx);
    const created = await ctx.distribution.createWave({
      surveyId,
      segment: "region = 'Kanto'",
      reminders: '3d,7d',
      deadline: '2026-04-15T00:00:00+09:00',
      actor: 'test',
    });
    expect(created.invited).toBe(5);
    expect(created.alreadyInvited).toBe(0);
    expect(created.withoutEmail).toBe(0); // Kanto: everyone has an address
    expect(created.wave).toMatchObject({
      surveyId,
      segment: "region = 'Kanto'",
      channel: 'email',
      startAt: startTime,
      deadline: '2026-04-14T15:00:00.000Z',
      reminders: ['3d', '1w'],
      status: 'ready',
      invited: 5,
      estimatedMinutes: 1,
      createdBy: 'test',
    });
    const invitations = await invitationsByMember(ctx, created.wave.id);
    expect([...invitations.keys()].sort()).toEqual(kanto);
    const tokens = [...invitations.values()].map((i) => i.token);
    expect(new Set(tokens).size).toBe(5);
    // 18 random bytes in base64url: 24 characters, 144 bits.
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{24}$/);
    for (const i of invitations.values()) {
      expect(i.status).toBe('invited');
      expect(await eventsOf(ctx, i.id)).toEqual(['invited/email']);
    }
  });

  it('never invites a member twice to one survey across waves, nor an opted-out member', async () => {
    const surveyId = await publishedSurvey(ctx);
    await ctx.panel.optOut('M10');
    const first = await ctx.distribution.createWave({ surveyId, segment: "region = 'Kanto'", actor: 'test' });
    const second = await ctx.distribution.createWave({
      surveyId,
      segment: 'all',
      channel: 'portal',
      actor: 'test',
    });
    // all = 10 members, minus M10 (opted out) = 9, of which 5 already invited by the first wave.
    expect(second.invited).toBe(4);
    expect(second.alreadyInvited).toBe(5);
    // Of the 4 (M04, M06, M07, M09), M04 has no e-mail address.
    expect(second.withoutEmail).toBe(1);
    expect(first.withoutEmail).toBe(0);
    expect([...(await invitationsByMember(ctx, second.wave.id)).keys()].sort()).toEqual([
      'M04',
      'M06',
      'M07',
      'M09',
    ]);
    expect((await invitationsByMember(ctx, first.wave.id)).size).toBe(5);
    // Another survey is a separate matter.
    const other = await publishedSurvey(ctx, { ...panelSurvey, title: 'Other' });
    expect(
      (await ctx.distribution.createWave({ surveyId: other, segment: 'all', actor: 'test' })).invited,
    ).toBe(9);
  });

  it('two waves created at the same time still invite each member once', async () => {
    const surveyId = await publishedSurvey(ctx);
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        ctx.distribution.createWave({ surveyId, segment: 'all', actor: 'test' }),
      ),
    );
    expect(results.reduce((sum, r) => sum + r.invited, 0)).toBe(10);
    const rows = await ctx.db.kysely
      .selectFrom('invitations')
      .select('member_id')
      .where('survey_id', '=', surveyId)
      .execute();
    expect(rows).toHaveLength(10);
    expect(new Set(rows.map((r) => r.member_id)).size).toBe(10);
  });

  it('refuses bad input with a stable code and writes nothing', async () => {
    const surveyId = await publishedSurvey(ctx);
    const draft = await ctx.surveys.importSurvey({
      source: JSON.stringify(panelSurvey),
      format: 'json',
      actor: 'test',
    });
    const bad: [Record<string, unknown>, string][] = [
      [{ surveyId: 'sv_missing', segment: 'all' }, 'SURVEY_NOT_FOUND'],
      [{ surveyId: draft.id, segment: 'all' }, 'WAVE_SURVEY_NOT_PUBLISHED'],
      [{ surveyId, segment: "region = 'Kanto' and" }, 'SEGMENT_INVALID'],
      [{ surveyId, segment: 'height > 3' }, 'SEGMENT_INVALID'],
      [{ surveyId, segment: 'all', channel: 'fax' }, 'WAVE_INVALID'],
      [{ surveyId, segment: 'all', reminders: '3d,2d' }, 'WAVE_INVALID'],
      [{ surveyId, segment: 'all', reminders: 'soon' }, 'WAVE_INVALID'],
      [{ surveyId, segment: 'all', channel: 'portal', reminders: '3d' }, 'WAVE_INVALID'],
      [{ surveyId, segment: 'all', startAt: '2026-04-02' }, 'WAVE_INVALID'],
      // Impossible calendar days are refused, not rolled over into the next month.
      [{ surveyId, segment: 'all', deadline: '2027-02-30T00:00:00Z' }, 'WAVE_INVALID'],
      [{ surveyId, segment: 'all', startAt: '2026-11-31T00:00:00Z' }, 'WAVE_INVALID'],
      [{ surveyId, segment: 'all', startAt: '2026-04-01T24:00:00Z' }, 'WAVE_INVALID'],
      [{ surveyId, segment: 'all', deadline: '2026-05-01T09:00:00' }, 'WAVE_INVALID'],
      [{ surveyId, segment: 'all', deadline: '2026-03-31T00:00:00Z' }, 'WAVE_INVALID'],
      [{ surveyId, segment: 'all', deadline: '2026-04-05T00:00:00Z', reminders: '3d,7d' }, 'WAVE_INVALID'],
      [{ surveyId, segment: 'all', subject: 'Hi {{ member.nam }}' }, 'EMAIL_TEMPLATE_INVALID'],
      [{ surveyId, segment: 'all', body: '{{ member.attributes.shoe_size }}' }, 'EMAIL_TEMPLATE_INVALID'],
      // E-mail bodies must output the unsubscribe link.
      [{ surveyId, segment: 'all', body: 'Dear {{ member.name }}: {{ link }}' }, 'EMAIL_TEMPLATE_INVALID'],
      [
        { surveyId, segment: 'all', format: 'html', body: '<a href="{{ link }}">Go</a>' },
        'EMAIL_TEMPLATE_INVALID',
      ],
    ];
    for (const [input, code] of bad) {
      const error = await ctx.distribution.createWave({ ...input, actor: 'test' } as never).then(
        () => null,
        (e: { code?: string }) => e,
      );
      expect([input, error?.code]).toEqual([input, code]);
    }
    await ctx.surveys.updateSettings(surveyId, { closed: true, actor: 'test' });
    await expect(
      ctx.distribution.createWave({ surveyId, segment: 'all', actor: 'test' }),
    ).rejects.toMatchObject({
      code: 'WAVE_SURVEY_CLOSED',
    });
    expect(await counts()).toEqual({ waves: 0, invitations: 0, events: 0 });
  });

  it('a portal wave sends no message, so its body need not link to the unsubscribe page', async () => {
    const surveyId = await publishedSurvey(ctx);
    const created = await ctx.distribution.createWave({
      surveyId,
      segment: "region = 'Kanto'",
      channel: 'portal',
      body: 'Dear {{ member.name }}: {{ link }}',
      actor: 'test',
    });
    expect(created.invited).toBe(5);
  });

  it('progress: byChannel counts current statuses, overTime counts the events of each day', async () => {
    const surveyId = await publishedSurvey(ctx);
    const { wave } = await ctx.distribution.createWave({
      surveyId,
      segment: "region = 'Kanto'",
      channel: 'portal',
      actor: 'test',
    });
    const inv = await invitationsByMember(ctx, wave.id);
    const token = (m: string) => inv.get(m)!.token;
    // Day 1 (2026-04-01): M01 opens by e-mail and saves a partial; M02 opens by e-mail and completes
    // in one sitting (no partial save: no `started` event); M03 opens from the portal only.
    await ctx.responses.load(token('M01'), { channel: 'email' });
    await ctx.responses.savePartial(token('M01'), { data: { age: 40 }, page: 0 });
    await ctx.responses.load(token('M02'), { channel: 'email' });
    await ctx.responses.complete(token('M02'), { data: completeAnswers });
    await ctx.responses.load(token('M03'), { channel: 'portal' });
    // Day 2: M01 completes.
    ctx.clock.tick(86_400_000);
    await ctx.responses.complete(token('M01'), { data: completeAnswers });

    const progress = await ctx.distribution.progress(wave.id);
    // By hand. Current statuses: M01, M02 completed; M03 opened; M05, M08 invited.
    expect(progress.byStatus).toMatchObject({ invited: 2, opened: 1, started: 0, completed: 2 });
    // byChannel: e-mail entries M01, M02 are both past started (completed counts as started).
    expect(progress.byChannel).toEqual([
      { channel: 'email', opened: 2, started: 2, completed: 2 },
      { channel: 'portal', opened: 1, started: 0, completed: 0 },
    ]);
    // overTime: events. Only M01 saved a partial, so one `started` although two got past it.
    const zero = { sent: 0, opened: 0, started: 0, completed: 0, screenedOut: 0, quotaFull: 0, reminded: 0 };
    expect(progress.overTime).toEqual([
      { ...zero, date: '2026-04-01', opened: 3, started: 1, completed: 1 },
      { ...zero, date: '2026-04-02', completed: 1 },
    ]);
  });

  it('shows a wave and lists waves newest first', async () => {
    const surveyId = await publishedSurvey(ctx);
    const a = await ctx.distribution.createWave({
      surveyId,
      segment: "region = 'Kansai'",
      channel: 'portal',
      actor: 'test',
    });
    ctx.clock.tick(1000);
    const b = await ctx.distribution.createWave({ surveyId, segment: 'all', name: 'rest', actor: 'test' });
    expect((await ctx.distribution.listWaves()).map((w) => w.id)).toEqual([b.wave.id, a.wave.id]);
    expect(await ctx.distribution.listWaves({ surveyIds: [] })).toEqual([]);
    expect(await ctx.distribution.getWave(b.wave.id)).toMatchObject({ name: 'rest', invited: 5 });
    await expect(ctx.distribution.getWave('wv_nope')).rejects.toMatchObject({ code: 'WAVE_NOT_FOUND' });
    const progress = await ctx.distribution.progress(a.wave.id);
    expect(progress.byStatus).toEqual({
      invited: 5,
      sent: 0,
      send_failed: 0,
      opened: 0,
      started: 0,
      completed: 0,
      screened_out: 0,
      quota_full: 0,
    });
    expect(progress.byChannel).toEqual([]);
    expect(progress.failures).toEqual([]);
    expect(progress.overTime).toEqual([]);
  });
});

describe.each(dialects())('a wave over the bfi panel on %s', (dialect) => {
  it('invites exactly the members an independent count finds, in several batches', async () => {
    const ctx = await distributionContext(dialect);
    try {
      await ctx.panel.importMembers(createReadStream(bfiPath), { key: 'respondent_id' });
      const surveyId = await publishedSurvey(ctx);
      const expected = readBfi().rows.filter(
        (r) => r['gender'] === 2 && r['age'] !== null && r['age']! >= 40,
      ).length;
      // Batches of 50 members: the count crosses many batch borders.
      const distribution = createDistributionService({
        ...ctx,
        publicUrl: ctx.config.publicUrl,
        waveBatchSize: 50,
      });
      const { invited } = await distribution.createWave({
        surveyId,
        segment: 'gender = 2 and age >= 40',
        channel: 'portal',
        actor: 'test',
      });
      expect(invited).toBe(expected);
      const events = await ctx.db.kysely
        .selectFrom('distribution_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('type', '=', 'invited')
        .executeTakeFirstOrThrow();
      expect(Number(events.n)).toBe(expected);
      expect(expected).toBeGreaterThan(200);
    } finally {
      await ctx.close();
    }
  });
});
