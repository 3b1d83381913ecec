/** The one source of "now" for domain code. Wired once per entry point; tests use {@link TestClock}. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = {
  now: () => new Date(),
};

/**
 * A clock that only moves when told to.
 *
 * @example
 * const clock = new TestClock(new Date('2026-03-08T06:00:00Z'));
 * clock.tick(60_000);
 */
export class TestClock implements Clock {
  #now: number;

  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  tick(ms: number): Date {
    this.#now += ms;
    return this.now();
  }

  set(at: Date | string): void {
    this.#now = new Date(at).getTime();
  }
}

/** ISO 8601 UTC with milliseconds: sorts lexicographically, stored as text on both dialects. */
export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}
