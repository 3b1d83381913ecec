import { afterEach, describe, expect, it } from 'vitest';
import { EmailChannel } from '../../../src/batch/notifiers/email-channel.ts';
import type { EnqueteError } from '../../../src/kernel/index.ts';
import { failedEvent } from './helpers/events.ts';
import { smtpSink } from './helpers/smtp-sink.ts';

async function failure(p: Promise<unknown>): Promise<EnqueteError> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: EnqueteError) => e,
  );
}

describe('e-mail channel', () => {
  let sink: Awaited<ReturnType<typeof smtpSink>>;
  afterEach(() => sink?.close());

  it('sends one plain-text mail through a real SMTP server', async () => {
    sink = await smtpSink();
    const mail = new EmailChannel({
      name: 'ops',
      to: ['ops@example.org', 'data@example.org'],
      from: 'enquete <batch@example.org>',
      smtpUrl: sink.url,
      publicUrl: 'https://enquete.example.org',
    });
    await mail.send({ kind: 'event', event: failedEvent() });
    expect(sink.received).toHaveLength(1);
    const [m] = sink.received;
    expect(m!.from).toBe('batch@example.org');
    expect(m!.to).toEqual(['ops@example.org', 'data@example.org']);
    expect(m!.headers['from']).toBe('enquete <batch@example.org>');
    expect(m!.headers['content-type']).toMatch(/^text\/plain/);
    expect(m!.subject).toBe('[enquete] warehouse 20260301 failed after 3 attempts: exit code 2 (run run_1)');
    expect(m!.text).toBe(
      [
        'warehouse 20260301 failed after 3 attempts: exit code 2 (run run_1)',
        '',
        'Job:       warehouse',
        'Date:      20260301',
        'Trigger:   schedule',
        'Attempts:  3',
        'Exit code: 2',
        'Error:     exit code 2',
        'Run:       run_1',
        'At:        2026-03-01T10:00:00.000Z',
        '',
        'Last lines of the log:',
        '  loading 20260301',
        '  error: table <answers> & co missing',
        '',
        'Open in the console: https://enquete.example.org/jobs/warehouse?run=run_1',
        '',
      ].join('\n'),
    );
  });

  it('sends a digest as one mail', async () => {
    sink = await smtpSink();
    const mail = new EmailChannel({
      name: 'ops',
      to: ['ops@example.org'],
      from: 'b@example.org',
      smtpUrl: sink.url,
    });
    const events = [failedEvent({ runId: 'r1' }), failedEvent({ runId: 'r2', date: '20260302' })];
    await mail.send({ kind: 'digest', events, omitted: 0 });
    expect(sink.received.map((m) => [m.subject, m.text])).toEqual([
      [
        '[enquete] 2 batch notifications held back by the rate limit of ops',
        '2 batch notifications held back by the rate limit of ops:\n\n' +
          '- warehouse 20260301 failed after 3 attempts: exit code 2 (run r1)\n' +
          '- warehouse 20260302 failed after 3 attempts: exit code 2 (run r2)\n',
      ],
    ]);
  });

  it('calls a 4xx SMTP answer retryable and a 5xx one final', async () => {
    sink = await smtpSink({ rejectRcpt: [451, 550] });
    const mail = new EmailChannel({
      name: 'ops',
      to: ['ops@example.org'],
      from: 'b@example.org',
      smtpUrl: sink.url,
    });
    const notice = { kind: 'event' as const, event: failedEvent() };
    const later = await failure(mail.send(notice));
    expect(later.code).toBe('BATCH_NOTIFY_FAILED');
    expect(later.details?.['retryable']).toBe(true);
    const never = await failure(mail.send(notice));
    expect(never.details?.['retryable']).toBe(false);
    await mail.send(notice);
    expect(sink.received).toHaveLength(1);
  });

  it('fails at once, not retryable, without an SMTP server', async () => {
    const mail = new EmailChannel({
      name: 'ops',
      to: ['ops@example.org'],
      from: 'b@example.org',
      smtpUrl: undefined,
    });
    const e = await failure(mail.send({ kind: 'event', event: failedEvent() }));
    expect([e.code, e.message, e.details?.['retryable']]).toEqual([
      'BATCH_NOTIFY_FAILED',
      'notifier ops: no SMTP server is configured (set SMTP_URL)',
      false,
    ]);
  });
});
