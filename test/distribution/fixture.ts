import { Readable } from 'node:stream';
import type { Context } from '../../src/context.ts';
import type { Dialect } from '../../src/db/index.ts';
import { createDistributionService, type Mailer } from '../../src/distribution/index.ts';
import { TestClock } from '../../src/kernel/index.ts';
import { testContext } from '../helpers/context.ts';

/** A two-page survey: age (screen-out under 18), a choice, a rating. Three questions: 1 minute. */
export const panelSurvey = {
  title: 'Sleep & work',
  screenOut: [{ expression: '{age} < 18', html: '<p>Adults only.</p>' }],
  pages: [
    {
      name: 'p1',
      elements: [
        { type: 'text', name: 'age', inputType: 'number', min: 0, max: 120, isRequired: true },
        { type: 'radiogroup', name: 'shift', isRequired: true, choices: [1, 2, 3] },
      ],
    },
    { name: 'p2', elements: [{ type: 'rating', name: 'sleep', rateMin: 1, rateMax: 5, isRequired: true }] },
  ],
};

export const completeAnswers = { age: 40, shift: 2, sleep: 4 };

/**
 * Ten members: M01–M10. Regions by hand: Kanto = M01, M02, M03, M05, M08 (5); Kansai = the rest.
 * M04 has no e-mail address; M07's name holds markup (it must come out escaped).
 */
export const panelCsv = [
  'external_id,email,name,region,age',
  'M01,m01@example.org,Aoki Ken,Kanto,41',
  'M02,m02@example.org,Baba Yui,Kanto,35',
  'M03,m03@example.org,Chiba Ryo,Kanto,52',
  'M04,,Doi Mai,Kansai,29',
  'M05,m05@example.org,Endo Sho,Kanto,61',
  'M06,m06@example.org,Fujii Aya,Kansai,44',
  'M07,m07@example.org,<b>Goto</b> & Co,Kansai,38',
  'M08,m08@example.org,Hara Jun,Kanto,47',
  'M09,m09@example.org,Ito Rin,Kansai,33',
  'M10,m10@example.org,Kato Emi,Kansai,58',
].join('\n');

export const kanto = ['M01', 'M02', 'M03', 'M05', 'M08'];

export type TestCtx = Context & { close: () => Promise<void>; clock: TestClock };

export const startTime = '2026-04-01T00:00:00.000Z';

/** A wired context (fresh database of the dialect) at `startTime` with the panel imported. */
export async function distributionContext(
  dialect: Dialect,
  env: Record<string, string> = {},
): Promise<TestCtx> {
  const clock = new TestClock(startTime);
  const ctx = await testContext(dialect, {
    clock,
    env: { ENQUETE_PUBLIC_URL: 'https://enquete.example', ...env },
  });
  await ctx.panel.importMembers(Readable.from([panelCsv]));
  return { ...ctx, clock } as TestCtx;
}

/** Imports and publishes a survey; resolves with its id. */
export async function publishedSurvey(ctx: Context, definition: object = panelSurvey): Promise<string> {
  const survey = await ctx.surveys.importSurvey({
    source: JSON.stringify(definition),
    format: 'json',
    publish: true,
    actor: 'test',
  });
  return survey.id;
}

/** Invitation rows of a wave keyed by member external id. */
export async function invitationsByMember(ctx: Context, waveId: string) {
  const rows = await ctx.db.kysely
    .selectFrom('invitations')
    .innerJoin('members', 'members.id', 'invitations.member_id')
    .select([
      'invitations.id',
      'invitations.token',
      'invitations.status',
      'invitations.opened_channel',
      'invitations.reminders_sent',
      'members.external_id',
    ])
    .where('invitations.wave_id', '=', waveId)
    .execute();
  return new Map(rows.map((r) => [r.external_id, { ...r, id: Number(r.id) }]));
}

/** Events of one invitation, in order, as `type/channel`. */
export async function eventsOf(ctx: Context, invitationId: number): Promise<string[]> {
  const rows = await ctx.db.kysely
    .selectFrom('distribution_events')
    .select(['type', 'channel'])
    .where('invitation_id', '=', invitationId)
    .orderBy('id')
    .execute();
  return rows.map((r) => `${r.type}/${r.channel ?? '-'}`);
}

/** An in-memory mailer that accepts every message (the SMTP port's fake); it keeps the addresses. */
export function acceptingMailer(): Mailer & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    async send(message) {
      sent.push(message.to);
      return { status: 'sent', messageId: `<${sent.length}@test>`, response: '250 ok' };
    },
    async verify() {},
    async close() {},
  };
}

/**
 * Sends every due message of the outbox through {@link acceptingMailer}, as the loop of a server
 * with SMTP would: the invitations become `sent`, so reminders may follow. Resolves with how many.
 */
export async function sendQueued(ctx: Context): Promise<number> {
  const distribution = createDistributionService({
    ...ctx,
    publicUrl: ctx.config.publicUrl,
    mailer: acceptingMailer(),
  });
  let sent = 0;
  for (;;) {
    const report = await distribution.sendDue(500);
    sent += report.sent;
    if (report.sent + report.retried + report.failed + report.cancelled + report.held === 0) return sent;
  }
}
