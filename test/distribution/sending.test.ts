import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { dialects } from '../helpers/db.ts';
import { parseMessage } from './email/mime.ts';
import { type SmtpSink, startSmtpSink } from './email/smtp-sink.ts';
import {
  completeAnswers,
  distributionContext,
  eventsOf,
  invitationsByMember,
  publishedSurvey,
  type TestCtx,
} from './fixture.ts';

const day = 86_400_000;

/** Kanto members by hand (fixture.ts): all five have an e-mail address. */
const kantoAddresses = {
  M01: 'm01@example.org',
  M02: 'm02@example.org',
  M03: 'm03@example.org',
  M05: 'm05@example.org',
  M08: 'm08@example.org',
};

describe.each(dialects())('an e-mail wave through a real SMTP server on %s', (dialect) => {
  let sink: SmtpSink;
  let ctx: TestCtx;
  let app: FastifyInstance;

  beforeEach(async () => {
    sink = await startSmtpSink();
    ctx = await distributionContext(dialect, {
      SMTP_URL: sink.url,
      ENQUETE_MAIL_FROM: 'panel@enquete.example',
    });
    app = await buildApp(ctx);
  });
  afterEach(async () => {
    await app.close();
    await ctx.distribution.stop();
    await ctx.close();
    await sink.close();
  });

  it('sends each member their own link and unsubscribe headers; later reminders skip who answered or left', async () => {
    const surveyId = await publishedSurvey(ctx);
    const admin = await ctx.auth.createApiKey({ name: 'ops', role: 'admin', actor: 'test' });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/waves',
      headers: { authorization: `Bearer ${admin.key}` },
      payload: { surveyId, segment: "region = 'Kanto'", reminders: '3d', deadline: '2026-04-30T00:00:00Z' },
    });
    expect(res.statusCode).toBe(201);
    const waveId = res.json().wave.id as string;
    const counts = async () =>
      (
        await app.inject({
          url: `/api/v1/outbox/counts?waveId=${waveId}`,
          headers: { authorization: `Bearer ${admin.key}` },
        })
      ).json();
    expect((await counts()).sending).toBe(true);

    // One pass of the serve loop: queue the first messages, send them.
    const pass = await ctx.distribution.tick();
    expect(pass).toEqual({ queued: 5, send: { sent: 5, retried: 0, failed: 0, cancelled: 0, held: 0 } });
    await sink.waitFor(5);
    const invitations = await invitationsByMember(ctx, waveId);
    const byAddress = new Map(
      Object.entries(kantoAddresses).map(([member, address]) => [address, invitations.get(member)!.token]),
    );
    expect(sink.messages.map((m) => m.to.join()).sort()).toEqual(Object.values(kantoAddresses));
    for (const received of sink.messages) {
      expect(received.to).toHaveLength(1);
      const token = byAddress.get(received.to[0]!)!;
      const message = parseMessage(received.raw);
      expect(message.header('to')).toBe(received.to[0]);
      expect(message.text).toContain(`https://enquete.example/s/${token}?ch=email`);
      expect(message.html).toContain(`https://enquete.example/s/${token}?ch=email`);
      expect(message.header('list-unsubscribe')).toBe(`<https://enquete.example/u/${token}>`);
      expect(message.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      // No other member's token anywhere in this message.
      for (const other of byAddress.values()) if (other !== token) expect(received.raw).not.toContain(other);
    }
    for (const member of Object.keys(kantoAddresses)) {
      expect(await eventsOf(ctx, invitations.get(member)!.id)).toEqual(['invited/email', 'sent/email']);
    }
    expect((await counts()).counts).toEqual({
      queued: 0,
      sending: 0,
      sent: 5,
      failed: 0,
      cancelled: 0,
      held: 0,
    });

    // M01 answers; M02 unsubscribes from the mail client (one-click).
    const m01 = invitations.get('M01')!;
    await ctx.responses.load(m01.token, { channel: 'email' });
    await ctx.responses.complete(m01.token, { data: completeAnswers });
    const unsubscribe = await app.inject({
      method: 'POST',
      url: `/u/${invitations.get('M02')!.token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(unsubscribe.statusCode).toBe(200);

    // Three days on: the loop alone sends nothing (the reminders job decides reminders).
    ctx.clock.tick(3 * day + 60_000);
    expect(await ctx.distribution.tick()).toEqual({
      queued: 0,
      send: { sent: 0, retried: 0, failed: 0, cancelled: 0, held: 0 },
    });
    expect(await ctx.distribution.runReminders()).toEqual({ reminded: { [waveId]: 3 } });
    expect((await ctx.distribution.tick()).send.sent).toBe(3);
    await sink.waitFor(8);
    const reminders = sink.messages.slice(5);
    expect(reminders.map((m) => m.to[0]).sort()).toEqual([
      kantoAddresses.M03,
      kantoAddresses.M05,
      kantoAddresses.M08,
    ]);
    for (const received of reminders) {
      const token = byAddress.get(received.to[0]!)!;
      expect(parseMessage(received.raw).text).toContain(`https://enquete.example/s/${token}?ch=email`);
    }
    expect(await eventsOf(ctx, m01.id)).toEqual([
      'invited/email',
      'sent/email',
      'opened/email',
      'completed/email',
    ]);
    expect(await eventsOf(ctx, invitations.get('M03')!.id)).toEqual([
      'invited/email',
      'sent/email',
      'reminded/email',
      'sent/email',
    ]);
    // The one reminder is done: nothing more, however often it runs.
    ctx.clock.tick(day);
    expect(await ctx.distribution.runReminders()).toEqual({ reminded: {} });
    expect(sink.messages).toHaveLength(8);
  });
});

describe.each(dialects())('reminders only to members a message reached, on %s', (dialect) => {
  let sink: SmtpSink;
  let ctx: TestCtx;
  beforeEach(async () => {
    // m06 is refused for good (550), m07 for now (451: retried later, the invitation stays invited).
    sink = await startSmtpSink({
      rcpt: (to) => (to.startsWith('m06@') ? 550 : to.startsWith('m07@') ? 451 : null),
    });
    ctx = await distributionContext(dialect, {
      SMTP_URL: sink.url,
      ENQUETE_MAIL_FROM: 'panel@enquete.example',
    });
  });
  afterEach(async () => {
    await ctx.distribution.stop();
    await ctx.close();
    await sink.close();
  });

  it('leaves out invitations still invited (first message queued) and send_failed ones', async () => {
    const surveyId = await publishedSurvey(ctx);
    const { wave, withoutEmail } = await ctx.distribution.createWave({
      surveyId,
      segment: 'all',
      reminders: '3d',
      actor: 'test',
    });
    expect(withoutEmail).toBe(1); // M04
    // 10 members: M04 has no address (send_failed at once), 9 queued; M06 refused, M07 retried.
    expect(await ctx.distribution.tick()).toEqual({
      queued: 9,
      send: { sent: 7, retried: 1, failed: 1, cancelled: 0, held: 0 },
    });
    const before = await invitationsByMember(ctx, wave.id);
    expect(
      [...before]
        .filter(([, i]) => i.status !== 'sent')
        .map(([m, i]) => `${m} ${i.status}`)
        .sort(),
    ).toEqual(['M04 send_failed', 'M06 send_failed', 'M07 invited']);

    // The creation answer said M04 could not be reached; progress says why each failure happened.
    const failures = (await ctx.distribution.progress(wave.id)).failures;
    expect(failures).toHaveLength(2);
    expect(failures).toContainEqual({ reason: 'the member has no e-mail address', count: 1 });
    expect(failures.find((f) => f.reason !== 'the member has no e-mail address')).toEqual({
      reason: expect.stringContaining('550'),
      count: 1,
    });

    // Three days on, before the loop retries M07: the 7 members reached are reminded, nobody else.
    ctx.clock.tick(3 * day + 60_000);
    expect(await ctx.distribution.runReminders()).toEqual({ reminded: { [wave.id]: 7 } });
    const after = await invitationsByMember(ctx, wave.id);
    expect(Object.fromEntries([...after].map(([m, i]) => [m, Number(i.reminders_sent)]).sort())).toEqual({
      M01: 1,
      M02: 1,
      M03: 1,
      M04: 0,
      M05: 1,
      M06: 0,
      M07: 0,
      M08: 1,
      M09: 1,
      M10: 1,
    });
    const { messages } = await ctx.distribution.outbox({ waveId: wave.id, limit: 500 });
    expect(
      messages
        .filter((m) => m.kind === 'reminder')
        .map((m) => m.to)
        .sort(),
    ).toEqual(['m01', 'm02', 'm03', 'm05', 'm08', 'm09', 'm10'].map((m) => `${m}@example.org`));
    for (const member of ['M04', 'M06', 'M07']) {
      expect(await eventsOf(ctx, after.get(member)!.id)).not.toContain('reminded/email');
    }
  });
  it('does not send a retried message after its wave deadline, nor once the survey is closed', async () => {
    const surveyId = await publishedSurvey(ctx);
    const deadline = new Date(ctx.clock.now().getTime() + 30 * 60_000).toISOString();
    const { wave } = await ctx.distribution.createWave({ surveyId, segment: 'all', deadline, actor: 'test' });
    // M07 is refused for now (451): retried a minute later, and again later, until the deadline.
    expect((await ctx.distribution.tick()).send).toEqual({
      sent: 7,
      retried: 1,
      failed: 1,
      cancelled: 0,
      held: 0,
    });
    ctx.clock.tick(31 * 60_000);
    expect((await ctx.distribution.tick()).send).toEqual({
      sent: 0,
      retried: 0,
      failed: 0,
      cancelled: 1,
      held: 0,
    });
    const m07 = (await ctx.distribution.outbox({ waveId: wave.id, limit: 500 })).messages.filter(
      (m) => m.to === 'm07@example.org',
    );
    expect(m07.map((m) => [m.status, m.lastError])).toEqual([
      ['cancelled', "the wave's deadline has passed"],
    ]);
    expect((await invitationsByMember(ctx, wave.id)).get('M07')!.status).toBe('invited');

    // A survey closed while a message waits: not sent either.
    const other = await publishedSurvey(ctx);
    const second = await ctx.distribution.createWave({
      surveyId: other,
      segment: "region = 'Kanto'",
      actor: 'test',
    });
    await ctx.surveys.updateSettings(other, { closed: true, actor: 'test' });
    const before = sink.messages.length;
    expect((await ctx.distribution.tick()).send).toMatchObject({ sent: 0, cancelled: 5 });
    expect(sink.messages).toHaveLength(before);
    const closed = (await ctx.distribution.outbox({ waveId: second.wave.id, limit: 500 })).messages;
    expect(new Set(closed.map((m) => `${m.status}: ${m.lastError}`))).toEqual(
      new Set(['cancelled: the survey is closed']),
    );
  });
});
