import type { BatchLog } from '../executor.ts';
import { retryAdvice } from './delivery.ts';
import type { BatchEvent, Channel, Notice, Notifier } from './notifier.ts';
import type { RateLimit } from './notifier-definition.ts';

/** Real time for the rate limit and the retry waits: injected so that tests can drive it. */
export interface QueueTimers {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /**
   * Calls `fn` after `ms`; returns a cancel function. A retry wait keeps the process alive (a CLI
   * waits for its notices); the wait for a digest does not (`close` sends it at shutdown).
   */
  after(ms: number, fn: () => void, keepAlive: boolean): () => void;
}

export const realTimers: QueueTimers = {
  now: () => performance.now(),
  after: (ms, fn, keepAlive) => {
    const t = setTimeout(fn, ms);
    if (!keepAlive) t.unref();
    return () => clearTimeout(t);
  },
};

export interface NotifierQueueProps {
  channel: Channel;
  rateLimit: RateLimit;
  log: BatchLog;
  timers?: QueueTimers;
  /** Waits before the 2nd, 3rd… delivery attempt of a notice. Default 1 s, 5 s, 30 s. */
  retryDelaysMs?: number[];
  /** The longest `Retry-After` obeyed. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Notices waiting for delivery; beyond, the oldest is dropped (logged). Default 100. */
  maxQueued?: number;
  /** Events listed one by one in a digest; beyond, only counted. Default 50. */
  maxDigestEvents?: number;
}

/**
 * Puts a rate limit and retries in front of a channel, off the run's path. `notify` returns at
 * once. Up to `rateLimit.max` notices go out per window of `rateLimit.perMs`; the events beyond
 * are held and leave as one digest when the window ends (a held single event leaves as itself).
 * Notices are delivered one at a time, in order; a failed attempt is retried after 1 s, 5 s and
 * 30 s (or the `Retry-After` asked for) when it is retryable, then given up with an error line.
 *
 * @example
 * const ops = new NotifierQueue({ channel: new WebhookChannel({ name: 'ops', url }), rateLimit: defaultRateLimit, log });
 * await ops.notify(event); // returns at once
 * await ops.idle();        // delivered, or given up
 */
export class NotifierQueue implements Notifier {
  readonly name: string;
  readonly #channel: Channel;
  readonly #limit: RateLimit;
  readonly #log: BatchLog;
  readonly #timers: QueueTimers;
  readonly #delays: number[];
  readonly #maxRetryAfter: number;
  readonly #maxQueued: number;
  readonly #maxDigest: number;
  #windowStart = Number.NEGATIVE_INFINITY;
  #sentInWindow = 0;
  #held: BatchEvent[] = [];
  #omitted = 0;
  #cancelRelease: (() => void) | null = null;
  readonly #outbox: Notice[] = [];
  #draining: Promise<void> | null = null;

  constructor(props: NotifierQueueProps) {
    this.name = props.channel.name;
    this.#channel = props.channel;
    this.#limit = props.rateLimit;
    this.#log = props.log;
    this.#timers = props.timers ?? realTimers;
    this.#delays = props.retryDelaysMs ?? [1_000, 5_000, 30_000];
    this.#maxRetryAfter = props.maxRetryAfterMs ?? 60_000;
    this.#maxQueued = props.maxQueued ?? 100;
    this.#maxDigest = props.maxDigestEvents ?? 50;
  }

  async notify(event: BatchEvent): Promise<void> {
    const now = this.#timers.now();
    if (now - this.#windowStart >= this.#limit.perMs) {
      this.#windowStart = now;
      this.#sentInWindow = 0;
    }
    // Once events are held, later ones join them so the order of what people read is kept.
    if (this.#cancelRelease === null && this.#sentInWindow < this.#limit.max) {
      this.#sentInWindow++;
      this.#enqueue({ kind: 'event', event });
      return;
    }
    if (this.#held.length < this.#maxDigest) this.#held.push(event);
    else this.#omitted++;
    if (this.#cancelRelease === null) {
      this.#log.warn(
        { notifier: this.name, max: this.#limit.max, perMs: this.#limit.perMs },
        'notification rate limit reached: holding events for a digest',
      );
      const wait = Math.max(0, this.#windowStart + this.#limit.perMs - now);
      this.#cancelRelease = this.#timers.after(wait, () => this.#release(), false);
    }
  }

  /** Resolves when no notice waits for delivery (held digests wait for their window). */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /** Sends what is held now, then waits for every delivery (at shutdown and on reload). */
  async close(): Promise<void> {
    if (this.#cancelRelease) {
      this.#cancelRelease();
      this.#release();
    }
    await this.idle();
  }

  #release(): void {
    this.#cancelRelease = null;
    const events = this.#held;
    const omitted = this.#omitted;
    this.#held = [];
    this.#omitted = 0;
    if (events.length === 0) return;
    // The digest opens a new window and counts in it.
    this.#windowStart = this.#timers.now();
    this.#sentInWindow = 1;
    this.#enqueue(
      events.length === 1 && omitted === 0
        ? { kind: 'event', event: events[0]! }
        : { kind: 'digest', events, omitted },
    );
  }

  #enqueue(notice: Notice): void {
    if (this.#outbox.length >= this.#maxQueued) {
      const dropped = this.#outbox.shift()!;
      this.#log.error(
        { notifier: this.name, runIds: runIdsOf(dropped) },
        'notification dropped: too many waiting for delivery',
      );
    }
    this.#outbox.push(notice);
    if (!this.#draining) this.#drain();
  }

  #drain(): void {
    this.#draining = (async () => {
      for (let notice = this.#outbox.shift(); notice; notice = this.#outbox.shift()) {
        await this.#deliver(notice);
      }
    })().finally(() => {
      this.#draining = null;
      if (this.#outbox.length > 0) this.#drain();
    });
  }

  async #deliver(notice: Notice): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#channel.send(notice);
        return;
      } catch (error) {
        const { retryable, retryAfterMs } = retryAdvice(error);
        const where = { notifier: this.name, runIds: runIdsOf(notice), attempt, err: messageOf(error) };
        if (!retryable || attempt > this.#delays.length) {
          this.#log.error(where, 'notification not delivered; giving up');
          return;
        }
        const wait = Math.min(Math.max(this.#delays[attempt - 1]!, retryAfterMs ?? 0), this.#maxRetryAfter);
        this.#log.warn({ ...where, retryInMs: wait }, 'notification delivery failed; retrying');
        await new Promise<void>((resolve) => this.#timers.after(wait, resolve, true));
      }
    }
  }
}

function runIdsOf(notice: Notice): string[] {
  return notice.kind === 'event' ? [notice.event.runId] : notice.events.map((e) => e.runId);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
