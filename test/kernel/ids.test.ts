import { describe, expect, it } from 'vitest';
import { cryptoIds } from '../../src/kernel/index.ts';

describe('cryptoIds', () => {
  it('makes 24-character base64url tokens (18 bytes) and 12-character base32 ids, all distinct across pool refills', () => {
    // 4 KiB pool: 227 tokens or 341 ids per refill; 5,000 of each, interleaved, cross many refills.
    const tokens = new Set<string>();
    const ids = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const token = cryptoIds.token();
      const id = cryptoIds.id('mb');
      expect(token).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(18);
      expect(id).toMatch(/^mb_[0-9a-hjkmnp-tv-z]{12}$/);
      tokens.add(token);
      ids.add(id);
    }
    expect(tokens.size).toBe(5000);
    expect(ids.size).toBe(5000);
  });

  it('draws fresh bytes for every token: no two tokens share an 18-byte window of the pool', () => {
    // A token that reused part of the previous one's bytes would share a 6-byte run with it.
    const runs = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(cryptoIds.token(), 'base64url');
      for (const at of [0, 6, 12]) {
        const run = bytes.toString('hex', at, at + 6);
        expect(runs.has(run)).toBe(false);
        runs.add(run);
      }
    }
  });
});

describe('cryptoIds.sortableId', () => {
  const decodeTime = (id: string) =>
    [...id.slice(3, 13)].reduce((n, c) => n * 32 + '0123456789abcdefghjkmnpqrstvwxyz'.indexOf(c), 0);

  it('puts the instant first (10 base32 digits of milliseconds) and 13 random digits (65 bits) after it', () => {
    const at = new Date('2026-12-04T07:30:00.123Z');
    const id = cryptoIds.sortableId('mb', at);
    expect(id).toMatch(/^mb_[0-9a-hjkmnp-tv-z]{23}$/);
    expect(decodeTime(id)).toBe(at.getTime());
    // 1,796,369,400,123 ms is 01k8vvbg9r in JavaScript's base 32 (0-9a-v), Crockford's letters skip i l o u.
    expect((1_796_369_400_123).toString(32)).toBe('1k8vvbg9r');
    expect(id.slice(3, 13)).toBe('01m8zzbg9v');
  });

  it('sorts by time, and makes a burst of 100,000 at one instant all distinct', () => {
    const start = Date.parse('2026-12-04T07:30:00Z');
    const made = Array.from({ length: 2000 }, (_, i) => cryptoIds.sortableId('mb', new Date(start + i * 7)));
    expect([...made].sort()).toEqual(made);
    // Far from the first instant too: one more digit of time changes, the order holds.
    const later = cryptoIds.sortableId('mb', new Date(start + 40 * 365 * 86_400_000));
    expect(later > made.at(-1)!).toBe(true);

    const at = new Date(start);
    const burst = new Set<string>();
    const seen = Array.from({ length: 13 }, () => new Set<string>());
    for (let i = 0; i < 100_000; i++) {
      const id = cryptoIds.sortableId('mb', at);
      burst.add(id);
      for (let p = 0; p < 13; p++) seen[p]!.add(id[13 + p]!);
    }
    expect(burst.size).toBe(100_000);
    // Every random digit takes all 32 values: none is fixed or derived from the time.
    expect(seen.map((s) => s.size)).toEqual(Array(13).fill(32));
  });

  it('leaves id() as it was: 12 random digits, no time', () => {
    expect(cryptoIds.id('sv')).toMatch(/^sv_[0-9a-hjkmnp-tv-z]{12}$/);
  });
});
