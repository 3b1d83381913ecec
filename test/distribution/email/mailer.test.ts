import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMailer,
  defaultTemplates,
  type Mailer,
  type MessageVars,
  renderMessage,
  unsubscribeHeaders,
} from '../../../src/distribution/email/index.ts';
import { parseMessage } from './mime.ts';
import { type SmtpSink, startSmtpSink } from './smtp-sink.ts';

const from = '"Research panel" <panel@example.org>';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function sink(options?: Parameters<typeof startSmtpSink>[0]): Promise<SmtpSink> {
  const s = await startSmtpSink(options);
  cleanups.push(() => s.close());
  return s;
}

function mailer(options: Partial<Parameters<typeof createMailer>[0]> & { smtpUrl: string }): Mailer {
  const m = createMailer({ from, ...options });
  cleanups.push(() => m.close());
  return m;
}

function varsFor(name: string, token: string): MessageVars {
  return {
    member: { name, email: `${token}@example.org`, externalId: token, attributes: {} },
    survey: { title: '睡眠と仕事の調査', minutes: 8, timeZone: 'Asia/Tokyo' },
    link: `https://enquete.example/s/${token}?ch=email`,
    deadline: '2026-04-30T14:59:00.000Z',
    unsubscribe_url: `https://enquete.example/u/${token}`,
  };
}

describe('createMailer against a real SMTP server', () => {
  it('delivers rendered messages with the link, the unsubscribe headers and Japanese text intact', async () => {
    const server = await sink();
    const m = mailer({ smtpUrl: server.url });
    const members = [
      { name: '青木 健', token: 'tokA', template: defaultTemplates.ja },
      { name: 'Beth <script>x</script>', token: 'tokB', template: defaultTemplates.en },
    ];
    const outcomes = await Promise.all(
      members.map(({ name, token, template }) => {
        const vars = varsFor(name, token);
        return m.send({
          to: `${token}@example.org`,
          ...renderMessage(template, vars),
          headers: unsubscribeHeaders(vars.unsubscribe_url),
          messageId: `<${token}@enquete.example>`,
        });
      }),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent']);
    expect(outcomes[0]).toMatchObject({ messageId: '<tokA@enquete.example>' });
    expect(outcomes[0]!.status === 'sent' && outcomes[0]!.response.startsWith('250')).toBe(true);

    expect(server.messages).toHaveLength(2);
    const byToken = (t: string) => {
      const received = server.messages.find((r) => r.to[0] === `${t}@example.org`)!;
      expect(received.from).toBe('panel@example.org');
      return parseMessage(received.raw);
    };
    const a = byToken('tokA');
    expect(a.header('subject')).toBe('【アンケートのお願い】睡眠と仕事の調査');
    // A display name of plain words needs no quotes (RFC 5322 phrase).
    expect(a.header('from')).toBe('Research panel <panel@example.org>');
    expect(a.header('message-id')).toBe('<tokA@enquete.example>');
    expect(a.header('list-unsubscribe')).toBe('<https://enquete.example/u/tokA>');
    expect(a.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(a.text!.split('\n').slice(0, 7)).toEqual([
      '青木 健 様',
      '',
      'アンケート「睡眠と仕事の調査」へのご協力をお願いいたします。所要時間は約8分です。',
      '',
      '回答はこちらから: https://enquete.example/s/tokA?ch=email',
      '',
      '回答期限: 2026年4月30日 23:59',
    ]);
    expect(a.html).toContain('<a href="https://enquete.example/s/tokA?ch=email">');

    const b = byToken('tokB');
    expect(b.header('subject')).toBe('Invitation: 睡眠と仕事の調査');
    expect(b.text!.split('\n')[0]).toBe('Dear Beth <script>x</script>,');
    expect(b.html!.split('\n')[0]).toBe('<p>Dear Beth &lt;script&gt;x&lt;/script&gt;,</p>');
    expect(b.html).not.toContain('<script>');
  });

  it('classifies 451 as temporary and 550 and 553 as permanent, and keeps sending after them', async () => {
    const codes: Record<string, number> = {
      'later@example.org': 451,
      'gone@example.org': 550,
      'bad@example.org': 553,
    };
    const server = await sink({ rcpt: (to) => codes[to] ?? null });
    const m = mailer({ smtpUrl: server.url });
    const send = (to: string) => m.send({ to, subject: 's', text: 't' });
    const later = await send('later@example.org');
    const gone = await send('gone@example.org');
    const bad = await send('bad@example.org');
    const fine = await send('fine@example.org');
    expect(later).toMatchObject({ status: 'temporary', code: 451 });
    expect(gone).toMatchObject({ status: 'permanent', code: 550 });
    expect(bad).toMatchObject({ status: 'permanent', code: 553 });
    expect(later.status !== 'sent' && later.error).toContain('451');
    expect(gone.status !== 'sent' && gone.error).toContain('Mailbox unavailable');
    expect(fine.status).toBe('sent');
    expect(server.messages.map((r) => r.to)).toEqual([['fine@example.org']]);
  });

  it('answers temporary when the server is down, and verify says so without the password', async () => {
    const closed = await startSmtpSink();
    await closed.close();
    const url = `smtp://panel:pa55-word@127.0.0.1:${closed.port}`;
    const m = mailer({ smtpUrl: url });
    const outcome = await m.send({ to: 'a@example.org', subject: 's', text: 't' });
    expect(outcome.status).toBe('temporary');
    expect(outcome.status !== 'sent' && outcome.error).toContain('ECONNREFUSED');
    const error = await m.verify().then(
      () => null,
      (e: { code: string; message: string }) => e,
    );
    expect(error?.code).toBe('EMAIL_SMTP_UNAVAILABLE');
    expect(error?.message).toContain(`smtp://panel:***@127.0.0.1:${closed.port}`);
    expect(error?.message).not.toContain('pa55-word');
  });

  it('answers temporary when the server never greets', async () => {
    const sockets: Socket[] = [];
    const mute: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => mute.close(() => resolve()));
    });
    const port = (mute.address() as { port: number }).port;
    const m = mailer({ smtpUrl: `smtp://127.0.0.1:${port}`, timeoutMs: 300 });
    const outcome = await m.send({ to: 'a@example.org', subject: 's', text: 't' });
    expect(outcome.status).toBe('temporary');
  });

  it('logs in with the URL credentials; a refused login is temporary and its texts hold no password', async () => {
    const server = await sink({ auth: { user: 'panel', pass: 'p@ss/word' } });
    const good = mailer({
      smtpUrl: `smtp://panel:${encodeURIComponent('p@ss/word')}@127.0.0.1:${server.port}`,
    });
    await good.verify();
    expect((await good.send({ to: 'a@example.org', subject: 's', text: 't' })).status).toBe('sent');

    const bad = mailer({ smtpUrl: `smtp://panel:Wrong-Secret@127.0.0.1:${server.port}`, pool: false });
    const outcome = await bad.send({ to: 'a@example.org', subject: 's', text: 't' });
    expect(outcome).toMatchObject({ status: 'temporary', code: 535 });
    expect(JSON.stringify(outcome)).not.toContain('Wrong-Secret');
    const error = await bad.verify().then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toContain('535');
    expect(JSON.stringify({ ...error, message: error?.message })).not.toContain('Wrong-Secret');
    expect(server.messages).toHaveLength(1);
  });

  it('fails unusable messages permanently without contacting the server', async () => {
    const server = await sink();
    const m = mailer({ smtpUrl: server.url });
    const base = { subject: 's', text: 't' };
    expect(await m.send({ ...base, to: 'no address' })).toEqual({
      status: 'permanent',
      error: 'invalid recipient address "no address"',
    });
    expect(await m.send({ ...base, to: 'a@example.org, b@example.org' })).toMatchObject({
      status: 'permanent',
    });
    expect(
      await m.send({ ...base, to: 'a@example.org', headers: { 'X-Evil': 'a\r\nBcc: x@example.org' } }),
    ).toEqual({
      status: 'permanent',
      error: 'invalid value of header X-Evil',
    });
    expect(await m.send({ ...base, to: 'a@example.org', headers: { Bcc: 'x@example.org' } })).toEqual({
      status: 'permanent',
      error: 'header Bcc is set by the mailer',
    });
    expect(server.messages).toHaveLength(0);
  });

  it('sends without the pool too, and close waits for sends in progress', async () => {
    const server = await sink();
    const single = mailer({ smtpUrl: server.url, pool: false });
    expect((await single.send({ to: 'one@example.org', subject: 's', text: 't' })).status).toBe('sent');

    const pooled = createMailer({ smtpUrl: server.url, from, maxConnections: 2 });
    const pending = Array.from({ length: 6 }, (_, i) =>
      pooled.send({ to: `m${i}@example.org`, subject: `n${i}`, text: 't' }),
    );
    await pooled.close();
    expect(server.messages).toHaveLength(7);
    expect((await Promise.all(pending)).map((o) => o.status)).toEqual(Array(6).fill('sent'));
    await expect(pooled.send({ to: 'late@example.org', subject: 's', text: 't' })).rejects.toMatchObject({
      code: 'EMAIL_MAILER_CLOSED',
    });
  });

  it('refuses a bad configuration with stable codes and a masked URL', () => {
    const code = (run: () => unknown) => {
      try {
        run();
        return null;
      } catch (e) {
        return { code: (e as { code: string }).code, message: (e as Error).message };
      }
    };
    expect(code(() => createMailer({ smtpUrl: 'http://mail.example.org', from }))).toEqual({
      code: 'EMAIL_SMTP_URL_INVALID',
      message: 'SMTP URL http://mail.example.org: must start with smtp:// or smtps://',
    });
    expect(code(() => createMailer({ smtpUrl: 'smtp://u:top secret@mail example', from }))).toEqual({
      code: 'EMAIL_SMTP_URL_INVALID',
      message: 'SMTP URL smtp://u:***@mail example: not a URL',
    });
    expect(code(() => createMailer({ smtpUrl: 'smtp://h', from: 'nobody' }))?.code).toBe(
      'EMAIL_FROM_INVALID',
    );
    expect(
      code(() => createMailer({ smtpUrl: 'smtp://h', from, rate: { messages: 0, perMs: 1000 } }))?.code,
    ).toBe('EMAIL_RATE_INVALID');
    expect(code(() => createMailer({ smtpUrl: 'smtp://h', from, maxConnections: 0 }))?.code).toBe(
      'EMAIL_RATE_INVALID',
    );
  });
});
