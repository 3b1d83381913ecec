import { afterEach, describe, expect, it } from 'vitest';
import { createMailer, RateLimiter } from '../../../src/distribution/email/index.ts';
import { TestClock } from '../../../src/kernel/index.ts';
import { type SmtpSink, startSmtpSink } from './smtp-sink.ts';

/** A limiter on a test clock whose sleep moves the clock, with what it slept recorded. */
function virtualLimiter(messages: number, perMs: number) {
  const clock = new TestClock('2026-05-01T00:00:00.000Z');
  const t0 = clock.now().getTime();
  const sleeps: number[] = [];
  const limiter = new RateLimiter({
    messages,
    perMs,
    clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.tick(ms);
    },
  });
  return { clock, sleeps, limiter, elapsed: () => clock.now().getTime() - t0 };
}

describe('RateLimiter', () => {
  it('lets `messages` through per window and waits exactly until the oldest leaves it', async () => {
    const { sleeps, limiter, elapsed } = virtualLimiter(3, 1000);
    const starts: number[] = [];
    for (let i = 0; i < 7; i++) {
      await limiter.acquire();
      starts.push(elapsed());
    }
    expect(starts).toEqual([0, 0, 0, 1000, 1000, 1000, 2000]);
    expect(sleeps).toEqual([1000, 1000]);
  });

  it('counts the time that passed on its own', async () => {
    const { clock, sleeps, limiter, elapsed } = virtualLimiter(2, 1000);
    await limiter.acquire();
    clock.tick(300);
    await limiter.acquire();
    clock.tick(400);
    await limiter.acquire(); // the first left the window at 1000
    expect(elapsed()).toBe(1000);
    await limiter.acquire(); // the second (at 300) leaves at 1300
    expect(elapsed()).toBe(1300);
    expect(sleeps).toEqual([300, 300]);
  });

  it('serves concurrent callers first come, first served', async () => {
    const { limiter, elapsed } = virtualLimiter(2, 500);
    const order: [number, number][] = [];
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => limiter.acquire().then(() => order.push([i, elapsed()]))),
    );
    expect(order).toEqual([
      [0, 0],
      [1, 0],
      [2, 500],
      [3, 500],
      [4, 1000],
    ]);
  });

  it('refuses nonsense', () => {
    const clock = new TestClock();
    const sleep = async () => {};
    for (const [messages, perMs] of [
      [0, 1000],
      [1.5, 1000],
      [5, 0],
      [5, Number.NaN],
    ] as const) {
      expect(() => new RateLimiter({ messages, perMs, clock, sleep })).toThrow(
        expect.objectContaining({ code: 'EMAIL_RATE_INVALID' }),
      );
    }
  });
});

describe('the mailer with a rate', () => {
  let server: SmtpSink | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it('hands the server no more than `messages` per window', async () => {
    server = await startSmtpSink();
    const sink = server;
    const clock = new TestClock('2026-05-01T00:00:00.000Z');
    const perWindow = 4;
    const receivedWhenBlocked: number[] = [];
    const sleeps: number[] = [];
    const mailer = createMailer({
      smtpUrl: sink.url,
      from: 'panel@example.org',
      maxConnections: 5,
      rate: { messages: perWindow, perMs: 1000 },
      clock,
      // The limiter blocks here at the end of each window. Everything it let through so far
      // must reach the server, and nothing more may: a pause lets a stray message arrive.
      sleep: async (ms) => {
        sleeps.push(ms);
        await sink.waitFor(perWindow * sleeps.length);
        await new Promise((resolve) => setTimeout(resolve, 100));
        receivedWhenBlocked.push(sink.messages.length);
        clock.tick(ms);
      },
    });
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        mailer.send({ to: `m${i}@example.org`, subject: `n${i}`, text: 't' }),
      ),
    );
    await mailer.close();
    expect(outcomes.every((o) => o.status === 'sent')).toBe(true);
    expect(sleeps).toEqual([1000, 1000]);
    expect(receivedWhenBlocked).toEqual([4, 8]);
    expect(sink.messages).toHaveLength(10);
  });
});
