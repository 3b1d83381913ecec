import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDistributionService } from '../../src/distribution/index.ts';
import { releaseHeld } from '../../src/distribution/quota-holds.ts';
import { dialects } from '../helpers/db.ts';
import {
  acceptingMailer,
  invitationsByMember,
  panelCsv,
  sendQueued,
  startTime,
  type TestCtx,
} from './fixture.ts';
import { publish, quotaContext, tally } from './quota-fixture.ts';

const day = 86_400_000;

/**
 * First messages of e-mail waves and full quota cells. panelCsv by hand: Kanto = M01, M02, M03,
 * M05, M08; Kansai = M04 (no e-mail address), M06, M07, M09, M10; Kansai 50+ = M10 (58).
 */
describe.each(dialects())('first invitations and full quota cells on %s', (dialect) => {
  let ctx: TestCtx;
  let surveyId: string;
  beforeEach(async () => {
    ctx = await quotaContext(dialect, panelCsv);
    surveyId = await publish(ctx);
  });
  afterEach(() => ctx.close());

  const wave = async (reminders?: string) =>
    (
      await ctx.distribution.createWave({
        surveyId,
        segment: 'all',
        ...(reminders ? { reminders } : {}),
        actor: 'test',
      })
    ).wave.id;
  const counts = async (waveId: string) =>
    (await ctx.distribution.outboxCounts(waveId)) as Record<string, number>;
  /** Members by the status of their first message in the outbox. */
  async function messagesByStatus(waveId: string): Promise<Record<string, string[]>> {
    const rows = await invitationsByMember(ctx, waveId);
    const byInvitation = new Map([...rows].map(([m, i]) => [i.id, m]));
    const { messages } = await ctx.distribution.outbox({ waveId, limit: 500 });
    const out: Record<string, string[]> = {};
    for (const m of messages.filter((x) => x.kind === 'invitation')) {
      out[m.status] = [...(out[m.status] ?? []), byInvitation.get(m.invitationId)!];
    }
    for (const list of Object.values(out)) list.sort();
    return out;
  }
  const statuses = async (waveId: string) =>
    Object.fromEntries([...(await invitationsByMember(ctx, waveId))].map(([m, i]) => [m, i.status]));

  it('holds the first message of members who can only end quota_full, sends the others, and sends the held ones once a limit makes room', async () => {
    const quota = await ctx.distribution.quotas.create(
      surveyId,
      {
        name: 'Region',
        cells: [
          { label: 'Kanto', memberCondition: "region = 'Kanto'", limit: 0 },
          // Full as well, but on answers: Kansai 50+ may still complete elsewhere, so not held.
          {
            label: 'Kansai 50+ nights',
            memberCondition: "region = 'Kansai' and age >= 50",
            answerCondition: '{shift} = 3',
            limit: 0,
          },
        ],
      },
      'test',
    );
    const waveId = await wave();
    // Queued: the Kansai four with an address; held: the five of Kanto.
    expect(await ctx.distribution.queueDue()).toBe(4);
    expect(await messagesByStatus(waveId)).toEqual({
      queued: ['M06', 'M07', 'M09', 'M10'],
      held: ['M01', 'M02', 'M03', 'M05', 'M08'],
    });
    const progress = await ctx.distribution.progress(waveId);
    expect(progress.heldForQuota).toBe(5);
    // Still pending, not lost: the held members stay invited.
    expect(progress.byStatus).toMatchObject({ invited: 9, send_failed: 1, sent: 0 });
    const { messages } = await ctx.distribution.outbox({ waveId, status: 'held' });
    expect(messages.map((m) => m.lastError)).toEqual(
      Array(5).fill(expect.stringContaining('held for quota')),
    );

    expect(await sendQueued(ctx)).toBe(4);
    expect(await counts(waveId)).toMatchObject({ queued: 0, sent: 4, held: 5 });
    expect(tally(Object.values(await statuses(waveId)))).toEqual({ sent: 4, invited: 5, send_failed: 1 });

    // Room in Kanto for two: the held messages go to the sender, which decides again; all five
    // go, since none of them has completed yet.
    await ctx.distribution.quotas.setLimit(quota.id, quota.cells[0]!.id, 2);
    expect(await counts(waveId)).toMatchObject({ queued: 5, held: 0 });
    expect(await sendQueued(ctx)).toBe(5);
    expect(await messagesByStatus(waveId)).toEqual({
      sent: ['M01', 'M02', 'M03', 'M05', 'M06', 'M07', 'M08', 'M09', 'M10'],
    });
    expect((await ctx.distribution.progress(waveId)).heldForQuota).toBe(0);
    // A held message was not an attempt.
    const sent = await ctx.distribution.outbox({ waveId, limit: 500 });
    expect(new Set(sent.messages.map((m) => m.attempts))).toEqual(new Set([1]));
  });

  it('decides again at send time: a cell that filled after queueing holds the message; held ones never make a pass spin', async () => {
    const waveId = await wave('3d');
    expect(await ctx.distribution.queueDue()).toBe(9);
    // The total fills before SMTP sends anything (a limit of 0 is full with no complete).
    const total = await ctx.distribution.quotas.create(
      surveyId,
      { name: 'Total', cells: [{ label: 'All', limit: 0 }] },
      'test',
    );
    const mailer = acceptingMailer();
    const distribution = createDistributionService({ ...ctx, publicUrl: ctx.config.publicUrl, mailer });
    const first = await distribution.tick();
    expect(first).toEqual({ queued: 0, send: { sent: 0, retried: 0, failed: 0, cancelled: 0, held: 9 } });
    expect(mailer.sent).toEqual([]);
    expect(await counts(waveId)).toMatchObject({ queued: 0, sending: 0, held: 9 });

    // Later passes read neither the wave (its first messages are done) nor the held messages.
    const row = await ctx.db.kysely
      .selectFrom('waves')
      .select(['dispatched_at', 'dispatch_cursor'])
      .where('id', '=', waveId)
      .executeTakeFirstOrThrow();
    expect(row.dispatched_at).not.toBeNull();
    const last = Math.max(...[...(await invitationsByMember(ctx, waveId)).values()].map((i) => i.id));
    expect(Number(row.dispatch_cursor)).toBe(last);
    for (let i = 0; i < 3; i++) {
      expect(await distribution.tick()).toEqual({
        queued: 0,
        send: { sent: 0, retried: 0, failed: 0, cancelled: 0, held: 0 },
      });
    }
    // No reminder for members whose first message never went out.
    ctx.clock.set(new Date(Date.parse(startTime) + 3 * day));
    expect((await ctx.distribution.runReminders()).reminded).toEqual({ [waveId]: 0 });

    // Lowering a limit of a full cell makes no room: nothing is released.
    await ctx.distribution.quotas.setLimit(total.id, total.cells[0]!.id, 0);
    expect(await counts(waveId)).toMatchObject({ queued: 0, held: 9 });
    // One opts out while held: released, that message is cancelled, not sent.
    await ctx.panel.optOut('M02');
    await ctx.distribution.quotas.setLimit(total.id, total.cells[0]!.id, 100);
    expect(await distribution.tick()).toMatchObject({ send: { sent: 8, cancelled: 1, held: 0 } });
    expect(mailer.sent).toHaveLength(8);
    await distribution.stop();
  });

  it('a complete that fills a cell holds the first messages of its other members; a deleted quota releases what it held', async () => {
    const quota = await ctx.distribution.quotas.create(
      surveyId,
      { name: 'Kanto', cells: [{ label: 'Kanto', memberCondition: "region = 'Kanto'", limit: 0 }] },
      'test',
    );
    const waveId = await wave();
    expect(await ctx.distribution.queueDue()).toBe(4);
    expect(await counts(waveId)).toMatchObject({ held: 5 });
    // Deleting the quota (no complete counted yet) makes room for everyone.
    await ctx.distribution.quotas.remove(quota.id);
    expect(await counts(waveId)).toMatchObject({ queued: 9, held: 0 });
    expect(await sendQueued(ctx)).toBe(9);

    // A second survey: a Kanto cell of 1 that M01 fills; the other Kanto members are held, M01's
    // own message was sent before the cell filled.
    const other = await publish(ctx, {
      title: 'Other',
      pages: [{ name: 'p', elements: [{ type: 'text', name: 'q' }] }],
    });
    const kanto = await ctx.distribution.quotas.create(
      other,
      { name: 'Kanto', cells: [{ label: 'Kanto', memberCondition: "region = 'Kanto'", limit: 1 }] },
      'test',
    );
    const second = (
      await ctx.distribution.createWave({ surveyId: other, segment: "region = 'Kanto'", actor: 'test' })
    ).wave.id;
    const tokens = await invitationsByMember(ctx, second);
    const m01 = tokens.get('M01')!.token;
    await ctx.responses.load(m01, { channel: 'portal' });
    expect((await ctx.responses.complete(m01, { data: { q: 'x' } })).status).toBe('completed');
    expect(await ctx.distribution.queueDue()).toBe(0);
    expect(await messagesByStatus(second)).toEqual({ held: ['M02', 'M03', 'M05', 'M08'] });
    // Room for one more: released, all four are sent (none has completed), the cell decides later.
    await ctx.distribution.quotas.setLimit(kanto.id, kanto.cells[0]!.id, 2);
    expect(await sendQueued(ctx)).toBe(4);
    expect(await ctx.distribution.outboxCounts(second)).toMatchObject({ held: 0, sent: 4 });
  });
  it.skipIf(dialect !== 'postgres')(
    'a hold decided while a limit is being raised waits for it: no message stays held with room',
    async () => {
      const waveId = await wave();
      expect(await ctx.distribution.queueDue()).toBe(9);
      const total = await ctx.distribution.quotas.create(
        surveyId,
        { name: 'Total', cells: [{ label: 'All', limit: 0 }] },
        'test',
      );
      const cellId = total.cells[0]!.id;
      const mailer = acceptingMailer();
      const distribution = createDistributionService({ ...ctx, publicUrl: ctx.config.publicUrl, mailer });
      let sending: Promise<unknown> | undefined;
      // What setLimit does, held open: the cell locked and raised, held messages released (none
      // yet), not committed while the sender claims the 9 and decides on the old limit.
      await ctx.db.kysely.transaction().execute(async (trx) => {
        await trx.selectFrom('quota_cells').select('id').where('id', '=', cellId).forUpdate().execute();
        await trx.updateTable('quota_cells').set({ max_completes: 100 }).where('id', '=', cellId).execute();
        await releaseHeld(trx, surveyId, startTime);
        sending = distribution.sendDue(200);
        await new Promise((resolve) => setTimeout(resolve, 300));
      });
      expect(await sending).toMatchObject({ sent: 9, held: 0 });
      expect(await counts(waveId)).toMatchObject({ sent: 9, held: 0 });
      await distribution.stop();
    },
  );
});
