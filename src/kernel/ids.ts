import { randomFillSync } from 'node:crypto';

/** Randomness as a port: ids for rows and unguessable tokens for links, keys and sessions. */
export interface Ids {
  /** A short random id with a readable prefix, e.g. `sv_7k2m9q4x1c3d`. 60 bits: for rows, not secrets. */
  id(prefix: string): string;
  /**
   * An id that sorts by the time it was made: the prefix, then `at` in milliseconds (10 base32
   * characters, as in a ULID) and 65 random bits (13 characters), e.g.
   * `mb_01kbx3f8z2c7w9m4q1t6r8v3x0n`. Ids of one millisecond are in random order. For rows of big
   * tables that are inserted in bulk: new keys land at the end of their indexes instead of all over.
   */
  sortableId(prefix: string, at: Date): string;
  /** An unguessable secret (>= 144 bits), URL-safe. */
  token(): string;
}

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

// One call into the CSPRNG costs about 9 µs on these VMs, so a wave of a million tokens would
// spend seconds there: bytes are drawn from a pool refilled 4 KiB at a time (as nanoid and uuid
// do). Each byte is handed out once; the pool is only read synchronously, right after drawing.
const pool = Buffer.allocUnsafe(4096);
let drawn = pool.length;

function draw(length: number): number {
  if (drawn + length > pool.length) {
    randomFillSync(pool);
    drawn = 0;
  }
  const at = drawn;
  drawn += length;
  return at;
}

function base32(length: number): string {
  const at = draw(length);
  let out = '';
  for (let i = at; i < at + length; i++) out += alphabet[pool[i]! & 31];
  return out;
}

/** `ms` (a non-negative integer below 2^50) as 10 base32 digits, most significant first. */
function time32(ms: number): string {
  let out = '';
  for (let i = 0, rest = ms; i < 10; i++, rest = Math.floor(rest / 32)) out = alphabet[rest % 32]! + out;
  return out;
}

export const cryptoIds: Ids = {
  id: (prefix) => `${prefix}_${base32(12)}`,
  sortableId: (prefix, at) => `${prefix}_${time32(at.getTime())}${base32(13)}`,
  token: () => {
    const at = draw(18);
    return pool.toString('base64url', at, at + 18);
  },
};

/** Deterministic ids for tests. */
export function sequentialIds(seed = 0): Ids {
  let n = seed;
  return {
    id: (prefix) => `${prefix}_${String(++n).padStart(12, '0')}`,
    sortableId: (prefix) => `${prefix}_${String(++n).padStart(12, '0')}`,
    token: () => `tok${String(++n).padStart(21, '0')}`,
  };
}
