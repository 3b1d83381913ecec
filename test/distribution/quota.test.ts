import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/db.ts';
import { eventsOf, invitationsByMember, panelCsv, type TestCtx } from './fixture.ts';
import { publish, quotaContext, quotaSurvey, tokensOf } from './quota-fixture.ts';

const answers = { gender: 2, age: 40, shift: 1, sleep: 3 };

describe.each(dialects())('quotas on %s', (dialect) => {
  let ctx: TestCtx;
  let surveyId: string;
  beforeEach(async () => {
    ctx = await quotaContext(dialect, panelCsv);
    surveyId = await publish(ctx);
  });
  afterEach(() => ctx.close());

  /** Invites the whole panel through the portal; resolves with tokens by external id. */
  async function invite(): Promise<{ waveId: string; tokens: Map<string, string> }> {
    const { wave } = await ctx.distribution.createWave({
      surveyId,
      segment: 'all',
      channel: 'portal',
      actor: 'test',
    });
    return { waveId: wave.id, tokens: await tokensOf(ctx, wave.id) };
  }

  async function complete(token: string, data: Record<string, unknown> = answers) {
    await ctx.responses.load(token, { channel: 'portal' });
    return (await ctx.responses.complete(token, { data })).status;
  }

  const counts = async () =>
    Object.fromEntries(
      (await ctx.distribution.quotas.list(surveyId)).flatMap((q) => q.cells.map((c) => [c.label, c.count])),
    );

  it('creates and lists quotas with their cells, changes a limit, deletes only without counts', async () => {
    const quotas = ctx.distribution.quotas;
    expect(await quotas.list(surveyId)).toEqual([]);
    const created = await quotas.create(
      surveyId,
      {
        name: 'Region × age',
        cells: [
          { label: 'Kanto 40+', memberCondition: "region = 'Kanto' and age >= 40", limit: 2 },
          { label: 'Women', answerCondition: '{gender} = 2', limit: 3 },
          {
            label: 'Kansai women',
            memberCondition: " region = 'Kansai' ",
            answerCondition: '{gender} = 2',
            limit: 1,
          },
          { label: 'Everyone', memberCondition: '', limit: 100 },
        ],
      },
      'test',
    );
    expect(created).toEqual({
      id: expect.stringMatching(/^qt_/),
      name: 'Region × age',
      cells: [
        {
          id: expect.stringMatching(/^qc_/),
          label: 'Kanto 40+',
          memberCondition: "region = 'Kanto' and age >= 40",
          answerCondition: null,
          limit: 2,
          count: 0,
          full: false,
        },
        expect.objectContaining({ label: 'Women', memberCondition: null, answerCondition: '{gender} = 2' }),
        expect.objectContaining({ memberCondition: "region = 'Kansai'", answerCondition: '{gender} = 2' }),
        expect.objectContaining({
          label: 'Everyone',
          memberCondition: null,
          answerCondition: null,
          limit: 100,
        }),
      ],
    });
    expect(await quotas.list(surveyId)).toEqual([created]);

    const kanto40 = created.cells[0]!;
    expect(await quotas.setLimit(created.id, kanto40.id, 0)).toEqual({ ...kanto40, limit: 0, full: true });
    await expect(quotas.setLimit(created.id, 'qc_nope', 1)).rejects.toMatchObject({
      code: 'QUOTA_CELL_NOT_FOUND',
    });
    await expect(quotas.setLimit(created.id, kanto40.id, -1)).rejects.toMatchObject({
      code: 'QUOTA_INVALID',
    });
    await expect(quotas.setLimit(created.id, kanto40.id, 1.5)).rejects.toMatchObject({
      code: 'QUOTA_INVALID',
    });

    // A complete counted in one cell keeps the whole quota.
    await quotas.setLimit(created.id, kanto40.id, 2);
    const { tokens } = await invite();
    expect(await complete(tokens.get('M01')!)).toBe('completed');
    expect(await counts()).toEqual({ 'Kanto 40+': 1, Women: 1, 'Kansai women': 0, Everyone: 1 });
    await expect(quotas.remove(created.id)).rejects.toMatchObject({
      code: 'QUOTA_IN_USE',
      message: `quota ${created.id} has counted 3 completes: it stays (its limits can still change)`,
    });
    expect((await quotas.list(surveyId))[0]!.cells).toHaveLength(4);

    const spare = await quotas.create(surveyId, { name: 'Spare', cells: [{ label: 'x', limit: 5 }] }, 'test');
    await quotas.remove(spare.id);
    expect((await quotas.list(surveyId)).map((q) => q.id)).toEqual([created.id]);
    await expect(quotas.remove(spare.id)).rejects.toMatchObject({ code: 'QUOTA_NOT_FOUND' });
    await expect(quotas.list('sv_nope')).rejects.toMatchObject({ code: 'SURVEY_NOT_FOUND' });
  });

  it('refuses bad definitions naming the field, and writes nothing', async () => {
    const cell = { label: 'a', limit: 1 };
    const bad: [unknown, string][] = [
      [{ name: '', cells: [cell] }, 'name: Too small: expected string to have >=1 characters'],
      [{ name: 'q', cells: [] }, 'cells: Too small: expected array to have >=1 items'],
      [
        { name: 'q', cells: [{ label: 'a', limit: -1 }] },
        'cells[0].limit: Too small: expected number to be >=0',
      ],
      [
        { name: 'q', cells: [{ label: 'a', limit: '5' }] },
        'cells[0].limit: Invalid input: expected number, received string',
      ],
      [{ name: 'q', cells: [{ label: 'a', limit: 1, member: 'x' }] }, 'cells[0]: Unrecognized key: "member"'],
      [{ name: 'q', cells: [cell, cell] }, "cells[1].label: the label is already cells[0]'s"],
      [
        {
          name: 'q',
          cells: [cell, { label: 'b', memberCondition: "region = 'Kanto' and age >=", limit: 1 }],
        },
        "cells[1].memberCondition: column 28: expected a value after '>='",
      ],
      [
        { name: 'q', cells: [{ label: 'b', memberCondition: 'height > 3', limit: 1 }] },
        'cells[0].memberCondition: column 1: unknown attribute "height"',
      ],
      [
        {
          name: 'q',
          cells: [{ label: 'b', memberCondition: 'age >= 40', answerCondition: '{age} >', limit: 1 }],
        },
        'cells[0].answerCondition: syntax error at character 8: unexpected: end of input found',
      ],
      [
        { name: 'q', cells: [{ label: 'b', answerCondition: "{specialty} = 'im'", limit: 1 }] },
        'cells[0].answerCondition: {specialty} is not a question of this survey',
      ],
    ];
    for (const [input, message] of bad) {
      const error = await ctx.distribution.quotas.create(surveyId, input as never, 'test').then(
        () => null,
        (e: { code?: string; message?: string }) => e,
      );
      expect([input, error?.code, error?.message]).toEqual([input, 'QUOTA_INVALID', message]);
    }
    const columnError = await ctx.distribution.quotas
      .create(surveyId, { name: 'q', cells: [{ label: 'b', memberCondition: 'age >= ', limit: 1 }] }, 'test')
      .catch((e: { details?: unknown }) => e);
    expect(columnError).toMatchObject({ details: { field: 'cells[0].memberCondition', column: 8 } });
    await expect(
      ctx.distribution.quotas.create('sv_nope', { name: 'q', cells: [cell] }, 'test'),
    ).rejects.toMatchObject({ code: 'SURVEY_NOT_FOUND' });
    expect(await ctx.db.kysely.selectFrom('quota_cells').selectAll().execute()).toEqual([]);
    expect(await ctx.db.kysely.selectFrom('quotas').selectAll().execute()).toEqual([]);
  });

  it('a completion that falls in no cell completes and takes nothing', async () => {
    await ctx.distribution.quotas.create(
      surveyId,
      {
        name: 'Kanto',
        cells: [
          { label: 'Kanto', memberCondition: "region = 'Kanto'", limit: 0 },
          { label: 'Night shift', answerCondition: '{shift} = 3', limit: 0 },
        ],
      },
      'test',
    );
    const { tokens } = await invite();
    // M06 is in Kansai and works shift 1: neither cell, so the full cells do not matter.
    expect(await complete(tokens.get('M06')!)).toBe('completed');
    expect(await counts()).toEqual({ Kanto: 0, 'Night shift': 0 });
    // M01 is in Kanto: the cell with limit 0 is full from the start.
    expect(await complete(tokens.get('M01')!)).toBe('quota_full');
    expect(await complete(tokens.get('M07')!, { ...answers, shift: 3 })).toBe('quota_full');
    expect(await ctx.responses.counts(surveyId)).toEqual({
      in_progress: 0,
      completed: 1,
      screened_out: 0,
      quota_full: 2,
    });
  });

  it('takes a slot in every cell it falls in, or none: all or nothing across cells', async () => {
    const quota = await ctx.distribution.quotas.create(
      surveyId,
      {
        name: 'Two ways',
        cells: [
          { label: 'Kanto', memberCondition: "region = 'Kanto'", limit: 10 },
          { label: 'Shift 1', answerCondition: '{shift} = 1', limit: 1 },
        ],
      },
      'test',
    );
    // A second quota of the same survey counts on its own, and all quotas decide together.
    await ctx.distribution.quotas.create(
      surveyId,
      { name: 'Age', cells: [{ label: '50+', memberCondition: 'age >= 50', limit: 1 }] },
      'test',
    );
    const { waveId, tokens } = await invite();
    // M01 (Kanto, 41) on shift 1: Kanto and Shift 1, both with room.
    expect(await complete(tokens.get('M01')!)).toBe('completed');
    expect(await counts()).toEqual({ Kanto: 1, 'Shift 1': 1, '50+': 0 });
    // M02 (Kanto, 35) on shift 1: Shift 1 is full, so Kanto's slot is not taken either.
    expect(await complete(tokens.get('M02')!)).toBe('quota_full');
    expect(await counts()).toEqual({ Kanto: 1, 'Shift 1': 1, '50+': 0 });
    // M03 (Kanto, 52) on shift 2: Kanto and 50+.
    expect(await complete(tokens.get('M03')!, { ...answers, shift: 2 })).toBe('completed');
    // M05 (Kanto, 61) on shift 2: 50+ is full; Kanto keeps its count.
    expect(await complete(tokens.get('M05')!, { ...answers, shift: 2 })).toBe('quota_full');
    expect(await counts()).toEqual({ Kanto: 2, 'Shift 1': 1, '50+': 1 });

    // A raised limit lets the next one in.
    await ctx.distribution.quotas.setLimit(quota.id, quota.cells[1]!.id, 2);
    expect(await complete(tokens.get('M08')!)).toBe('completed');
    expect(await counts()).toEqual({ Kanto: 3, 'Shift 1': 2, '50+': 1 });

    const invitations = await invitationsByMember(ctx, waveId);
    expect(
      Object.fromEntries(['M01', 'M02', 'M03', 'M05', 'M08'].map((m) => [m, invitations.get(m)!.status])),
    ).toEqual({ M01: 'completed', M02: 'quota_full', M03: 'completed', M05: 'quota_full', M08: 'completed' });
    expect(await eventsOf(ctx, invitations.get('M02')!.id)).toEqual([
      'invited/portal',
      'opened/portal',
      'quota_full/portal',
    ]);
  });

  it('open-link completions fall in cells by their answers only', async () => {
    await ctx.surveys.updateSettings(surveyId, { openLink: true, actor: 'test' });
    await ctx.distribution.quotas.create(
      surveyId,
      {
        name: 'Gender',
        cells: [
          { label: 'Women', answerCondition: '{gender} = 2', limit: 1 },
          { label: 'Kanto', memberCondition: "region = 'Kanto'", limit: 0 },
        ],
      },
      'test',
    );
    const results: string[] = [];
    for (const gender of [2, 1, 2, 1]) {
      const token = await ctx.responses.openLink(surveyId, {});
      results.push((await ctx.responses.complete(token, { data: { ...answers, gender } })).status);
    }
    // No member: the Kanto cell (limit 0) never applies; the second woman finds Women full.
    expect(results).toEqual(['completed', 'completed', 'quota_full', 'completed']);
    expect(await counts()).toEqual({ Women: 1, Kanto: 0 });
  });

  it('screened-out completions take no slot', async () => {
    const screening = {
      ...quotaSurvey,
      title: 'Screening',
      screenOut: [{ expression: '{age} < 18', html: '<p>Adults only.</p>' }],
    };
    surveyId = await publish(ctx, screening);
    await ctx.distribution.quotas.create(
      surveyId,
      { name: 'All', cells: [{ label: 'all', limit: 1 }] },
      'test',
    );
    const { tokens } = await invite();
    expect(await complete(tokens.get('M01')!, { ...answers, age: 16 })).toBe('screened_out');
    expect(await complete(tokens.get('M02')!)).toBe('completed');
    expect(await complete(tokens.get('M03')!)).toBe('quota_full');
    expect(await counts()).toEqual({ all: 1 });
  });
});
