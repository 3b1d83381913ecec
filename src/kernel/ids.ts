import { randomBytes } from 'node:crypto';

/** Randomness as a port: ids for rows and unguessable tokens for links, keys and sessions. */
export interface Ids {
  /** A short random id with a readable prefix, e.g. `sv_7k2m9q4x1c3d`. 60 bits: for rows, not secrets. */
  id(prefix: string): string;
  /** An unguessable secret (>= 144 bits), URL-safe. */
  token(): string;
}

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

function base32(bytes: Buffer, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! & 31];
  return out;
}

export const cryptoIds: Ids = {
  id: (prefix) => `${prefix}_${base32(randomBytes(12), 12)}`,
  token: () => randomBytes(18).toString('base64url'),
};

/** Deterministic ids for tests. */
export function sequentialIds(seed = 0): Ids {
  let n = seed;
  return {
    id: (prefix) => `${prefix}_${String(++n).padStart(12, '0')}`,
    token: () => `tok${String(++n).padStart(21, '0')}`,
  };
}
