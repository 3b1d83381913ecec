import { describe, expect, it } from 'vitest';
import type { Notice } from '../../../src/batch/notifiers/notifier.ts';
import { NotifierQueue, type NotifierQueueProps } from '../../../src/batch/notifiers/notifier-queue.ts';
import { failedEvent } from './helpers/events.ts';
import { FakeTimers, flush, recordingLog, ScriptedChannel } from './helpers/fakes.ts';

/** `r1` for an event, `digest(r3 r4 +2)` for a digest. */
function label(n: Notice): string {
  if (n.kind === 'event') return n.event.runId;
  return `digest(${n.events.map((e) => e.runId).join(' ')}${n.omitted ? ` +${n.omitted}` : ''})`;
}

function setup(channel: ScriptedChannel, over: Partial<NotifierQueueProps> = {}) {
  const timers = new FakeTimers();
  const log = recordingLog();
  const queue = new NotifierQueue({
    channel,
    rateLimit: { max: 2, perMs: 60_000 },
    log,
    timers,
    ...over,
  });
  const notify = (...runIds: string[]) =>
    Promise.all(runIds.map((runId) => queue.notify(failedEvent({ runId }))));
  return { queue, timers, log, notify };
}

describe('notifier queue', () => {
  it('hands the event over at once, whatever the channel does', async () => {
    const channel = new ScriptedChannel();
    channel.hold();
    const { queue, notify } = setup(channel);
    // notify resolved although the channel has not answered yet.
    await notify('r1');
    await flush();
    expect(channel.attempts.map(label)).toEqual(['r1']);
    expect(channel.sent).toEqual([]);
    let idle = false;
    const waiting = queue.idle().then(() => {
      idle = true;
    });
    await flush();
    expect(idle).toBe(false);
    channel.release();
    await waiting;
    expect(channel.sent.map(label)).toEqual(['r1']);
  });

  it('sends max per window and folds the rest of the window into one digest', async () => {
    const channel = new ScriptedChannel();
    const { queue, timers, log, notify } = setup(channel);
    await notify('r1', 'r2', 'r3', 'r4', 'r5');
    await queue.idle();
    expect(channel.sent.map(label)).toEqual(['r1', 'r2']);
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);

    await timers.advance(59_999);
    expect(channel.sent.map(label)).toEqual(['r1', 'r2']);
    await timers.advance(1);
    await queue.idle();
    expect(channel.sent.map(label)).toEqual(['r1', 'r2', 'digest(r3 r4 r5)']);

    // The digest opened a window at 60 s and counts in it: one more goes alone, the next waits.
    await timers.advance(10_000);
    await notify('r6', 'r7');
    await queue.idle();
    expect(channel.sent.map(label)).toEqual(['r1', 'r2', 'digest(r3 r4 r5)', 'r6']);
    // A single held event leaves as itself when its window ends (at 120 s).
    await timers.advance(50_000);
    await queue.idle();
    expect(channel.sent.map(label)).toEqual(['r1', 'r2', 'digest(r3 r4 r5)', 'r6', 'r7']);

    // A quiet window later, the limit is whole again.
    await timers.advance(120_000);
    await notify('r8', 'r9');
    await queue.idle();
    expect(channel.sent.map(label).slice(5)).toEqual(['r8', 'r9']);
  });

  it('lists at most maxDigestEvents in a digest and counts the others', async () => {
    const channel = new ScriptedChannel();
    const { queue, timers, notify } = setup(channel, {
      rateLimit: { max: 1, perMs: 1_000 },
      maxDigestEvents: 2,
    });
    await notify('r1', 'r2', 'r3', 'r4', 'r5', 'r6');
    await timers.advance(1_000);
    await queue.idle();
    expect(channel.sent.map(label)).toEqual(['r1', 'digest(r2 r3 +3)']);
  });

  it('sends what it holds on close, without waiting for the window', async () => {
    const channel = new ScriptedChannel();
    const { queue, timers, notify } = setup(channel);
    await notify('r1', 'r2', 'r3', 'r4');
    await queue.close();
    expect(channel.sent.map(label)).toEqual(['r1', 'r2', 'digest(r3 r4)']);
    // The digest's timer was cancelled: nothing more is sent later.
    await timers.advance(120_000);
    expect(channel.sent).toHaveLength(3);
  });

  it('retries a retryable failure after 1 s and 5 s (or the Retry-After asked), keeping the process alive', async () => {
    const channel = new ScriptedChannel(['retryable', { retryAfterMs: 7_000 }, 'ok']);
    const { queue, timers, notify } = setup(channel);
    await notify('r1');
    await flush();
    expect(channel.attempts).toHaveLength(1);
    await timers.advance(999);
    expect(channel.attempts).toHaveLength(1);
    await timers.advance(1);
    expect(channel.attempts).toHaveLength(2);
    await timers.advance(7_000);
    await queue.idle();
    expect(channel.attempts).toHaveLength(3);
    expect(channel.sent.map(label)).toEqual(['r1']);
    expect(timers.waits).toEqual([
      [1_000, true],
      [7_000, true],
    ]);
  });

  it('gives up after the last retry or at once on a final failure, logs it, and goes on', async () => {
    const channel = new ScriptedChannel(['retryable', 'retryable', 'retryable', 'retryable', 'final', 'ok']);
    const { queue, timers, log, notify } = setup(channel, { rateLimit: { max: 10, perMs: 60_000 } });
    await notify('r1', 'r2', 'r3');
    await timers.advance(36_000);
    await queue.idle();
    // r1: 4 attempts (waits 1 s, 5 s, 30 s) then given up; r2: final at once; r3 delivered.
    expect(channel.attempts.map(label)).toEqual(['r1', 'r1', 'r1', 'r1', 'r2', 'r3']);
    expect(channel.sent.map(label)).toEqual(['r3']);
    const errors = log.lines.filter((l) => l.level === 'error');
    expect(errors.map((e) => [e.msg, (e.obj as { runIds: string[] }).runIds])).toEqual([
      ['notification not delivered; giving up', ['r1']],
      ['notification not delivered; giving up', ['r2']],
    ]);
  });

  it('drops the oldest waiting notice beyond maxQueued, with an error line', async () => {
    const channel = new ScriptedChannel();
    channel.hold();
    const { queue, log, notify } = setup(channel, { rateLimit: { max: 10, perMs: 60_000 }, maxQueued: 2 });
    await notify('r1');
    await flush();
    await notify('r2', 'r3', 'r4');
    channel.release();
    await queue.idle();
    expect(channel.sent.map(label)).toEqual(['r1', 'r3', 'r4']);
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      'notification dropped: too many waiting for delivery',
    ]);
  });
});
