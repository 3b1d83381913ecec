import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/db.ts';
import { invitationsByMember, panelCsv, sendQueued, startTime, type TestCtx } from './fixture.ts';
import { publish, quotaContext, quotaSurvey, tokensOf } from './quota-fixture.ts';

const day = 86_400_000;
const answers = { gender: 1, age: 40, shift: 1, sleep: 3 };

describe.each(dialects())('reminders and full quota cells on %s', (dialect) => {
  let ctx: TestCtx;
  let surveyId: string;
  let waveId: string;
  let tokens: Map<string, string>;
  beforeEach(async () => {
    ctx = await quotaContext(dialect, panelCsv);
    surveyId = await publish(ctx);
    const created = await ctx.distribution.createWave({
      surveyId,
      segment: 'all',
      reminders: '3d,5d',
      actor: 'test',
    });
    waveId = created.wave.id;
    tokens = await tokensOf(ctx, waveId);
    // The first messages: 9 (M04 has no e-mail address), sent: reminders go to members reached.
    expect(await ctx.distribution.queueDue()).toBe(9);
    expect(await sendQueued(ctx)).toBe(9);
  });
  afterEach(() => ctx.close());

  async function complete(externalId: string, data: Record<string, unknown> = answers) {
    const token = tokens.get(externalId)!;
    await ctx.responses.load(token, { channel: 'email' });
    return (await ctx.responses.complete(token, { data })).status;
  }

  /** Members reminded so far, and how often, by external id. */
  async function reminded(): Promise<Record<string, number>> {
    const rows = await invitationsByMember(ctx, waveId);
    return Object.fromEntries(
      [...rows].filter(([, i]) => i.reminders_sent > 0).map(([m, i]) => [m, Number(i.reminders_sent)]),
    );
  }

  async function reminderMessages(): Promise<number> {
    const { messages } = await ctx.distribution.outbox({ waveId, limit: 500 });
    return messages.filter((m) => m.kind === 'reminder').length;
  }

  it('skips members whose member condition puts them in a full cell, still reminds the others, and reminds them again once the limit is raised', async () => {
    const quota = await ctx.distribution.quotas.create(
      surveyId,
      {
        name: 'Region',
        cells: [
          { label: 'Kanto', memberCondition: "region = 'Kanto'", limit: 1 },
          // Full too, but it depends on the answers: Kansai members 50+ may still complete elsewhere.
          {
            label: 'Kansai 50+ nights',
            memberCondition: "region = 'Kansai' and age >= 50",
            answerCondition: '{shift} = 3',
            limit: 1,
          },
        ],
      },
      'test',
    );
    expect(await complete('M01')).toBe('completed'); // Kanto: the cell is now full
    expect(await complete('M10', { ...answers, shift: 3 })).toBe('completed'); // Kansai, 58: full
    expect(await complete('M02')).toBe('quota_full'); // Kanto, finished: not pending anyway

    ctx.clock.set(new Date(Date.parse(startTime) + 3 * day));
    // Pending: Kanto M03, M05, M08 (only the full Kanto cell is open to them: skipped); Kansai
    // M04 (no address), M06, M07, M09 (reminded; M09 is 33, M06 44, M07 38).
    const first = await ctx.distribution.runReminders();
    expect(first.reminded).toEqual({ [waveId]: 3 });
    expect(await reminded()).toEqual({ M06: 1, M07: 1, M09: 1 });
    expect(await reminderMessages()).toBe(3);

    // The decision is taken when the round goes out: with room again, Kanto is reminded too.
    await ctx.distribution.quotas.setLimit(quota.id, quota.cells[0]!.id, 3);
    ctx.clock.set(new Date(Date.parse(startTime) + 5 * day));
    const second = await ctx.distribution.runReminders();
    expect(second.reminded).toEqual({ [waveId]: 6 });
    expect(await reminded()).toEqual({ M03: 1, M05: 1, M08: 1, M06: 2, M07: 2, M09: 2 });
    expect(await reminderMessages()).toBe(9);
  });

  it('a full cell without conditions stops every reminder of the survey', async () => {
    await ctx.distribution.quotas.create(
      surveyId,
      { name: 'Total', cells: [{ label: 'All', limit: 1 }] },
      'test',
    );
    expect(await complete('M01')).toBe('completed');
    ctx.clock.set(new Date(Date.parse(startTime) + 3 * day));
    expect((await ctx.distribution.runReminders()).reminded).toEqual({ [waveId]: 0 });
    expect(await reminded()).toEqual({});
    // The round is done all the same: no reminder is owed for it later.
    expect((await ctx.distribution.getWave(waveId)).remindersDone).toBe(1);
  });

  it('cells with room, and full cells of other surveys, change nothing', async () => {
    await ctx.distribution.quotas.create(
      surveyId,
      { name: 'Kanto', cells: [{ label: 'Kanto', memberCondition: "region = 'Kanto'", limit: 5 }] },
      'test',
    );
    const other = await publish(ctx, { ...quotaSurvey, title: 'Other' });
    await ctx.distribution.quotas.create(
      other,
      { name: 'Closed', cells: [{ label: 'none', limit: 0 }] },
      'test',
    );
    expect(await complete('M01')).toBe('completed');
    ctx.clock.set(new Date(Date.parse(startTime) + 3 * day));
    // 9 pending, minus M04 (no address).
    expect((await ctx.distribution.runReminders()).reminded).toEqual({ [waveId]: 8 });
  });
});
