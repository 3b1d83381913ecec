import { afterEach, describe, expect, it } from 'vitest';
import { WebhookChannel } from '../../../src/batch/notifiers/webhook-channel.ts';
import type { EnqueteError } from '../../../src/kernel/index.ts';
import { failedEvent } from './helpers/events.ts';
import { deadUrl, httpSink } from './helpers/http-sink.ts';

async function failure(p: Promise<unknown>): Promise<EnqueteError> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: EnqueteError) => e,
  );
}

describe('webhook channel', () => {
  let sink: Awaited<ReturnType<typeof httpSink>>;
  afterEach(() => sink?.close());

  it('posts an event as JSON with its headers and the console link', async () => {
    sink = await httpSink();
    const event = failedEvent();
    const hook = new WebhookChannel({
      name: 'ops',
      url: `${sink.url}/in`,
      headers: { 'X-Team': 'data' },
      publicUrl: 'https://enquete.example.org/',
    });
    await hook.send({ kind: 'event', event });
    expect(sink.received).toHaveLength(1);
    const [call] = sink.received;
    expect(call!.url).toBe('/in');
    expect(call!.headers['content-type']).toBe('application/json');
    expect(call!.headers['x-team']).toBe('data');
    expect(call!.body).toEqual({
      type: 'batch.run.failed',
      text: 'warehouse 20260301 failed after 3 attempts: exit code 2 (run run_1)',
      url: 'https://enquete.example.org/jobs/warehouse?run=run_1',
      kind: 'failed',
      job: 'warehouse',
      runId: 'run_1',
      date: '20260301',
      trigger: 'schedule',
      attempts: 3,
      exitCode: 2,
      error: 'exit code 2',
      at: '2026-03-01T10:00:00.000Z',
      logTail: ['loading 20260301', 'error: table <answers> & co missing'],
    });
  });

  it('posts a digest with every held event and the count of the others', async () => {
    sink = await httpSink();
    const a = failedEvent({ runId: 'run_a', attempts: 1 });
    const b = failedEvent({ kind: 'recovered', runId: 'run_b', exitCode: 0, error: null });
    await new WebhookChannel({ name: 'ops', url: sink.url }).send({
      kind: 'digest',
      events: [a, b],
      omitted: 3,
    });
    expect(sink.received[0]!.body).toEqual({
      type: 'batch.digest',
      text: '5 batch notifications held back by the rate limit of ops',
      events: [
        { text: 'warehouse 20260301 failed after 1 attempt: exit code 2 (run run_a)', ...a },
        { text: 'warehouse 20260301 succeeded again (run run_b)', ...b },
      ],
      omitted: 3,
    });
  });

  it('calls 5xx, 408 and 429 retryable (with Retry-After), other answers final', async () => {
    sink = await httpSink([
      { status: 503 },
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 408 },
      { status: 404 },
      { status: 400 },
    ]);
    const hook = new WebhookChannel({ name: 'ops', url: `${sink.url}/secret-token` });
    const notice = { kind: 'event' as const, event: failedEvent() };
    const errors = [];
    for (let i = 0; i < 5; i++) errors.push(await failure(hook.send(notice)));
    expect(errors.map((e) => [e.code, e.message, e.details])).toEqual([
      ['BATCH_NOTIFY_FAILED', 'notifier ops: answered 503', { retryable: true, retryAfterMs: undefined }],
      ['BATCH_NOTIFY_FAILED', 'notifier ops: answered 429', { retryable: true, retryAfterMs: 7000 }],
      ['BATCH_NOTIFY_FAILED', 'notifier ops: answered 408', { retryable: true, retryAfterMs: undefined }],
      ['BATCH_NOTIFY_FAILED', 'notifier ops: answered 404', { retryable: false, retryAfterMs: undefined }],
      ['BATCH_NOTIFY_FAILED', 'notifier ops: answered 400', { retryable: false, retryAfterMs: undefined }],
    ]);
    expect(sink.received).toHaveLength(5);
  });

  it('calls an unreachable server retryable, without its URL in the message', async () => {
    sink = await httpSink();
    const url = `${await deadUrl()}/token-abc`;
    const e = await failure(
      new WebhookChannel({ name: 'ops', url }).send({ kind: 'event', event: failedEvent() }),
    );
    expect(e.code).toBe('BATCH_NOTIFY_FAILED');
    expect(e.details).toEqual({ retryable: true, retryAfterMs: undefined });
    expect(e.message).toBe('notifier ops: unreachable (ECONNREFUSED)');
    expect(e.message).not.toContain('token-abc');
  });
});
