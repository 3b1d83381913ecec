/**
 * Cron in words for the console and the CLI: the common shapes only (every N seconds, minutes or
 * hours; every day, some weekdays, a day of the month or of the year at fixed times). Anything
 * else (steps in days, `L`, `#`, `W`, both a day of month and a weekday…) gives null, and the
 * console shows the cron text alone. croner has no describer, and `cronstrue` says
 * "At 02:30 AM" and knows nothing of croner's dialect, so this small one is ours.
 */

const nicknames: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const monthNames = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const dayAbbr = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const monthAbbr = monthNames.map((m) => m.slice(0, 3).toUpperCase());

/** A field's values: `*` is null; a list of numbers, ranges expanded; undefined when not simple. */
function values(
  field: string,
  min: number,
  max: number,
  names: string[] = [],
  base = 0,
): number[] | null | undefined {
  if (field === '*' || field === '?') return null;
  const out: number[] = [];
  const num = (t: string): number | undefined => {
    const i = names.indexOf(t.toUpperCase());
    if (i >= 0) return i + base;
    if (!/^\d+$/.test(t)) return undefined;
    const n = Number(t);
    return n >= min && n <= max ? n : undefined;
  };
  for (const part of field.split(',')) {
    const range = /^([^-]+)-([^-]+)$/.exec(part);
    if (range) {
      const [from, to] = [num(range[1]!), num(range[2]!)];
      if (from === undefined || to === undefined || from > to) return undefined;
      for (let v = from; v <= to; v++) out.push(v);
    } else {
      const v = num(part);
      if (v === undefined) return undefined;
      out.push(v);
    }
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/** A step from the start (a star or 0, a slash, N) as N; undefined otherwise. */
function step(field: string): number | undefined {
  const m = /^(?:\*|0)\/(\d+)$/.exec(field);
  return m ? Number(m[1]) : undefined;
}

function list(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

const two = (n: number) => String(n).padStart(2, '0');

function ordinal(n: number): string {
  const suffix =
    n % 10 === 1 && n !== 11
      ? 'st'
      : n % 10 === 2 && n !== 12
        ? 'nd'
        : n % 10 === 3 && n !== 13
          ? 'rd'
          : 'th';
  return `${n}${suffix}`;
}

/** Weekdays in words: a run of three or more reads "Monday to Friday". */
function weekdays(days: number[]): string {
  const d = [...new Set(days.map((v) => v % 7))].sort((a, b) => a - b);
  const consecutive = d.length >= 3 && d.every((v, i) => i === 0 || v === d[i - 1]! + 1);
  if (consecutive) return `${dayNames[d[0]!]} to ${dayNames[d.at(-1)!]}`;
  return list(d.map((v) => dayNames[v]!));
}

/** The clock times of fixed hour and minute (and second) lists, at most six of them. */
function times(hours: number[], minutes: number[], seconds: number[]): string | null {
  const all: string[] = [];
  for (const h of hours)
    for (const m of minutes)
      for (const s of seconds) all.push(s === 0 ? `${two(h)}:${two(m)}` : `${two(h)}:${two(m)}:${two(s)}`);
  return all.length > 6 ? null : `at ${list(all)}`;
}

/**
 * Describes a cron pattern (5 fields, or 6 with seconds first, or a nickname) in words, or null
 * when its shape is not a common one.
 *
 * @example
 * describeSchedule('30 2 * * *');     // 'every day at 02:30'
 * describeSchedule('0 9 * * 1-5');    // 'every Monday to Friday at 09:00'
 * describeSchedule('*\/15 * * * *');   // 'every 15 minutes'
 */
export function describeSchedule(pattern: string): string | null {
  const text = nicknames[pattern.trim().toLowerCase()] ?? pattern.trim();
  const fields = text.split(/\s+/);
  if (fields.length === 5) fields.unshift('0');
  if (fields.length !== 6) return null;
  const [sec, min, hour, dom, month, dow] = fields as [string, string, string, string, string, string];
  const days = values(dom, 1, 31);
  const months = values(month, 1, 12, monthAbbr, 1);
  const weekdayList = values(dow, 0, 7, dayAbbr);
  if (days === undefined || months === undefined || weekdayList === undefined) return null;
  const everyDay = days === null && months === null && weekdayList === null;

  // Intervals: every N seconds, minutes or hours, every day.
  const secStep = step(sec);
  if (sec === '*' || secStep !== undefined) {
    if (min !== '*' || hour !== '*' || !everyDay) return null;
    return sec === '*' || secStep === 1 ? 'every second' : `every ${secStep} seconds`;
  }
  const secs = values(sec, 0, 59);
  if (!secs) return null;
  const minStep = step(min);
  if (min === '*' || minStep !== undefined) {
    if (hour !== '*' || !everyDay || secs.join() !== '0') return null;
    return min === '*' || minStep === 1 ? 'every minute' : `every ${minStep} minutes`;
  }
  const mins = values(min, 0, 59);
  if (!mins) return null;
  const hourStep = step(hour);
  if (hour === '*' || hourStep !== undefined) {
    if (!everyDay || secs.join() !== '0' || mins.length > 6) return null;
    const at = `at minute ${list(mins.map(String))}`;
    return hour === '*' || hourStep === 1 ? `every hour ${at}` : `every ${hourStep} hours ${at}`;
  }
  const hours = values(hour, 0, 23);
  if (!hours) return null;
  const at = times(hours, mins, secs);
  if (at === null) return null;

  if (everyDay) return `every day ${at}`;
  if (days === null && months === null) return `every ${weekdays(weekdayList!)} ${at}`;
  if (weekdayList !== null) return null;
  if (months === null) return `on the ${list(days!.map(ordinal))} of every month ${at}`;
  if (days !== null && months.length === 1 && days.length === 1) {
    return `every year on ${days[0]} ${monthNames[months[0]! - 1]} ${at}`;
  }
  return null;
}
