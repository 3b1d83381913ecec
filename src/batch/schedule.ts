import { Cron } from 'croner';

/** Zone names that are UTC itself, without daylight saving or offset. */
const utcZones = new Set([
  'UTC',
  'Etc/UTC',
  'Etc/UCT',
  'UCT',
  'Etc/Universal',
  'Universal',
  'Etc/Zulu',
  'Zulu',
]);

/**
 * A job's cron schedule in its time zone, computed by croner. Patterns have five fields, or six
 * with seconds first. Daylight saving follows croner (Vixie cron): a fixed-time job whose time
 * falls in the spring-forward gap runs at the first valid time after the gap; a time that occurs
 * twice at fall-back runs once, at its first occurrence. See docs/batch.md.
 *
 * @example
 * const s = new Schedule('30 2 * * *', 'America/New_York');
 * s.next(new Date('2026-03-07T12:00:00Z')); // 2026-03-08T07:00:00Z (03:00 EDT, after the gap)
 */
export class Schedule {
  readonly pattern: string;
  readonly timezone: string;
  readonly #cron: Cron;

  constructor(pattern: string, timezone: string) {
    this.pattern = pattern;
    this.timezone = timezone;
    // In UTC an offset of 0 is the same schedule, and croner computes it about three times faster
    // than through the time-zone database (a tick that fires 1,000 jobs asks it 1,000 times).
    const zone = utcZones.has(timezone) ? { utcOffset: 0 } : { timezone };
    this.#cron = new Cron(pattern, { ...zone, mode: '5-or-6-parts', paused: true });
  }

  /** The first instant strictly after `after`, or null when the pattern never fires again. */
  next(after: Date): Date | null {
    return this.#cron.nextRun(after);
  }

  /** Up to `n` instants at or before `until`, latest first. */
  latest(n: number, until: Date): Date[] {
    // previousRuns excludes its reference instant; one millisecond later includes it.
    return this.#cron.previousRuns(n, new Date(until.getTime() + 1));
  }
}

/** Why a cron pattern is unusable, or null when croner accepts it. */
export function cronProblem(pattern: string): string | null {
  try {
    new Schedule(pattern, 'UTC');
    return null;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).replace(/^CronPattern: /, '');
  }
}
