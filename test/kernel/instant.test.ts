import { describe, expect, it } from 'vitest';
import { canonicalInstant, parseInstantMs } from '../../src/kernel/index.ts';

describe('strict ISO 8601 instants', () => {
  it('reads real instants with a zone, to the millisecond', () => {
    // Expected values by hand: 09:00 at +09:00 is 00:00 UTC; -05:30 adds five and a half hours.
    expect(canonicalInstant('2026-04-01T09:00:00+09:00')).toBe('2026-04-01T00:00:00.000Z');
    expect(canonicalInstant('2026-04-01T09:00+09:00')).toBe('2026-04-01T00:00:00.000Z');
    expect(canonicalInstant('2026-12-31T23:00:00-05:30')).toBe('2027-01-01T04:30:00.000Z');
    expect(canonicalInstant('2026-04-01T00:00:00.123456789Z')).toBe('2026-04-01T00:00:00.123Z');
    expect(canonicalInstant('2026-04-01T00:00:00.5Z')).toBe('2026-04-01T00:00:00.500Z');
    // Leap years: 2028 and 2000 have a 29 February, 2027 and 1900 not.
    expect(canonicalInstant('2028-02-29T12:00:00Z')).toBe('2028-02-29T12:00:00.000Z');
    expect(canonicalInstant('2000-02-29T00:00:00Z')).toBe('2000-02-29T00:00:00.000Z');
    expect(canonicalInstant('2026-01-31T23:59:59Z')).toBe('2026-01-31T23:59:59.000Z');
    // Years below 100 are not read as 19xx.
    expect(canonicalInstant('0050-01-01T00:00:00Z')).toBe('0050-01-01T00:00:00.000Z');
    expect(parseInstantMs('1970-01-01T00:00:00Z')).toBe(0);
  });

  it('refuses impossible days and times instead of rolling them over, and a missing zone', () => {
    for (const text of [
      '2027-02-30T00:00:00Z', // Date.parse: 2027-03-02
      '2027-02-29T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2027-02-31T23:59:00+09:00',
      '2026-11-31T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-04-00T00:00:00Z',
      '2026-04-01T24:00:00Z',
      '2026-04-01T23:60:00Z',
      '2026-04-01T23:59:60Z',
      '2026-04-01T09:00:00+24:00',
      '2026-04-01T09:00:00+09:60',
      '2026-04-01T09:00:00', // no zone: which instant?
      '2026-04-01',
      '2026-04-01 09:00:00Z',
      '2026-4-1T09:00:00Z',
      '2026-04-01T09:00:00+0900',
      '2026-04-01T09:00:00.Z',
      ' 2026-04-01T09:00:00Z',
      'tomorrow',
      '',
    ]) {
      expect([text, parseInstantMs(text)]).toEqual([text, null]);
      expect([text, canonicalInstant(text)]).toEqual([text, null]);
    }
  });
});
