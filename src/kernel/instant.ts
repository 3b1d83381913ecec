/**
 * A strict ISO 8601 instant: `YYYY-MM-DDTHH:MM`, optional `:SS` and a fraction (up to 9 digits,
 * kept to the millisecond), and a zone, `Z` or `±HH:MM`, which is required (a time without one
 * names no instant). Every field must be real: the day exists in its month (2027-02-29 does not,
 * 2028-02-29 does), hours 00–23, minutes and seconds 00–59 (no leap second, no 24:00), offsets up
 * to ±23:59. Nothing is rolled over, unlike `Date.parse`, which reads 2027-02-30 as March 2.
 */
const pattern =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Reads a strict ISO 8601 instant (see above) as epoch milliseconds, or null when the text is not
 * one. Callers turn null into their own module's error, naming their field.
 *
 * @example
 * parseInstantMs('2026-04-01T09:00:00+09:00'); // → 1774994400000 (2026-04-01T00:00:00.000Z)
 * parseInstantMs('2027-02-30T00:00:00Z');      // → null (February has no 30th)
 * parseInstantMs('2026-04-01T09:00:00');       // → null (no zone)
 */
export function parseInstantMs(text: string): number | null {
  const m = pattern.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offsetHour = Number(m[10]);
    const offsetMinute = Number(m[11]);
    if (offsetHour > 23 || offsetMinute > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHour * 60 + offsetMinute);
  }
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime() - offsetMinutes * 60_000;
}

/**
 * A strict ISO 8601 instant as canonical UTC text (`toISOString`, as stored), or null.
 *
 * @example
 * canonicalInstant('2026-04-30T23:59:00+09:00'); // → '2026-04-30T14:59:00.000Z'
 */
export function canonicalInstant(text: string): string | null {
  const ms = parseInstantMs(text);
  return ms === null ? null : new Date(ms).toISOString();
}
