import type { Clock } from '../../kernel/index.ts';
import { emailErrors } from './errors.ts';

export interface RateLimiterProps {
  /** At most this many starts… */
  messages: number;
  /** …in any window of this many milliseconds. */
  perMs: number;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
}

/**
 * A sliding-window limiter: at most `messages` acquisitions in any `perMs` window, in the order
 * they were asked for. nodemailer's own `rateLimit` counts per connection turn and let twice the
 * limit through in its first window when measured (20 messages in the first second at 10/s with
 * five connections), so the mailer limits before handing a message to the pool.
 *
 * @example
 * const limiter = new RateLimiter({ messages: 50, perMs: 1_000, clock: systemClock, sleep });
 * await limiter.acquire(); // then send
 */
export class RateLimiter {
  readonly #messages: number;
  readonly #perMs: number;
  readonly #clock: Clock;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Start times of the last `messages` acquisitions, as a ring; `#next` is the oldest once full. */
  readonly #starts: number[] = [];
  #next = 0;
  #tail: Promise<void> = Promise.resolve();

  constructor(props: RateLimiterProps) {
    if (!Number.isInteger(props.messages) || props.messages < 1) {
      throw emailErrors.rateInvalid('messages must be a whole number of at least 1');
    }
    if (!Number.isFinite(props.perMs) || props.perMs <= 0) {
      throw emailErrors.rateInvalid('perMs must be a positive number of milliseconds');
    }
    this.#messages = props.messages;
    this.#perMs = props.perMs;
    this.#clock = props.clock;
    this.#sleep = props.sleep;
  }

  /** Resolves when the caller may start; callers are let through one by one, first come first. */
  acquire(): Promise<void> {
    const turn = this.#tail.then(() => this.#take());
    // A failed sleep must not block everyone after it.
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  async #take(): Promise<void> {
    if (this.#starts.length === this.#messages) {
      const oldest = this.#starts[this.#next]!;
      const wait = oldest + this.#perMs - this.#clock.now().getTime();
      if (wait > 0) await this.#sleep(wait);
      this.#starts[this.#next] = this.#clock.now().getTime();
      this.#next = (this.#next + 1) % this.#messages;
      return;
    }
    this.#starts.push(this.#clock.now().getTime());
  }
}

/** Waits with a real timer. */
export function timerSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
