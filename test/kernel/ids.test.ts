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
