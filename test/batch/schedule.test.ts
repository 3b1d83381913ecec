import { afterEach, describe, expect, it } from 'vitest';
import { Schedule } from '../../src/batch/schedule.ts';

const iso = (d: Date | null) => d?.toISOString() ?? null;

describe('schedule in UTC', () => {
  const tz = process.env['TZ'];
  afterEach(() => {
    if (tz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = tz;
  });

  // Expected instants counted by hand on the calendar (2026: 1 March is a Sunday, no leap day).
  it.each([
    ['0 30 2 * * *', '2026-03-08T12:00:00.000Z', '2026-03-09T02:30:00.000Z'],
    ['*/15 * * * *', '2026-01-01T00:07:00.000Z', '2026-01-01T00:15:00.000Z'],
    ['0 0 1 * *', '2026-02-28T23:59:59.000Z', '2026-03-01T00:00:00.000Z'],
    ['0 9 * * 1', '2026-03-01T10:00:00.000Z', '2026-03-02T09:00:00.000Z'],
    ['@daily', '2026-12-31T23:00:00.000Z', '2027-01-01T00:00:00.000Z'],
  ])('%s after %s is %s, whatever the process time zone', (pattern, after, expected) => {
    for (const zone of ['UTC', 'Etc/UTC']) {
      for (const processTz of ['UTC', 'America/New_York', 'Asia/Tokyo']) {
        process.env['TZ'] = processTz;
        expect(iso(new Schedule(pattern, zone).next(new Date(after)))).toBe(expected);
      }
    }
  });

  it('lists the latest instants up to and including the given one', () => {
    process.env['TZ'] = 'Europe/Paris';
    const s = new Schedule('0 0 * * * *', 'UTC');
    expect(s.latest(3, new Date('2026-03-29T02:00:00.000Z')).map(iso)).toEqual([
      '2026-03-29T02:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T00:00:00.000Z',
    ]);
  });
});
