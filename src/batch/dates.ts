import { batchError } from './errors.ts';

/** A run date: the calendar day `YYYYMMDD` in the job's time zone. */
export type RunDate = string;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/**
 * The calendar date of an instant in a time zone, as `YYYYMMDD`.
 *
 * @example
 * dateInZone(new Date('2026-03-08T03:00:00Z'), 'America/New_York'); // '20260307'
 */
export function dateInZone(instant: Date, timezone: string): RunDate {
  const parts = formatterFor(timezone).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}${get('month')}${get('day')}`;
}

/** True when the name is an IANA time zone this runtime knows. */
export function isTimeZone(name: string): boolean {
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a `YYYYMMDD` string names a real calendar day; throws BATCH_DATE_INVALID otherwise.
 *
 * @example
 * parseRunDate('20260229'); // throws: 2026 is not a leap year
 */
export function parseRunDate(text: string): RunDate {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const t = new Date(Date.UTC(y, mo - 1, d));
    if (t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d) return text;
  }
  throw batchError(
    'BATCH_DATE_INVALID',
    `date must be a calendar day as YYYYMMDD, got ${JSON.stringify(text)}`,
  );
}

/** The day after (or `n` days after) a run date. */
export function addDays(date: RunDate, n: number): RunDate {
  const t = new Date(
    Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8)) + n),
  );
  return t.toISOString().slice(0, 10).replaceAll('-', '');
}

/**
 * Every day from `from` to `to`, both included, in order; BATCH_RANGE_INVALID when reversed or
 * longer than `maxDays`.
 */
export function daysBetween(from: RunDate, to: RunDate, maxDays = 3660): RunDate[] {
  parseRunDate(from);
  parseRunDate(to);
  if (from > to) throw batchError('BATCH_RANGE_INVALID', `--from ${from} is after --to ${to}`);
  const out: RunDate[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    out.push(d);
    if (out.length > maxDays) {
      throw batchError('BATCH_RANGE_INVALID', `a backfill covers at most ${maxDays} days`);
    }
  }
  return out;
}
