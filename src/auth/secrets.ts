import { hash as digest } from 'node:crypto';
import { type Algorithm, hash, parseOptions, verify } from '@node-rs/argon2';
import { authErrors } from './errors.ts';

/**
 * argon2id with OWASP's first recommended setting (19 MiB, 2 passes, 1 lane). One verify costs
 * about 14 ms of one core on this machine, on libuv's thread pool; 64 MiB and 3 passes cost 66 ms,
 * too much for a 2-core server that also has to answer respondents.
 */
export const passwordPolicy = {
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
  // Algorithm is an ambient const enum, unusable under isolatedModules: 2 is Argon2id.
  algorithm: 2 as Algorithm,
  minLength: 10,
  maxLength: 1000,
} as const;

/**
 * A hash of a random, forgotten password with the policy's parameters. Logins with an unknown
 * e-mail verify against it, so they take as long as logins with a known one.
 */
export const dummyPasswordHash =
  '$argon2id$v=19$m=19456,t=2,p=1$1z972RLrK2uyITGsunM1Xw$Dcy/KOra0ISiKhnpow40PCcleFHlQzl/FMKWCnUhw/c';

/** Throws PASSWORD_TOO_SHORT / PASSWORD_TOO_LONG. */
export function checkPassword(password: string): void {
  if (password.length < passwordPolicy.minLength) throw authErrors.passwordTooShort(passwordPolicy.minLength);
  if (password.length > passwordPolicy.maxLength) throw authErrors.passwordTooLong(passwordPolicy.maxLength);
}

/** argon2id PHC string of a password that passed {@link checkPassword}. */
export function hashPassword(password: string): Promise<string> {
  const { memoryCost, timeCost, parallelism, algorithm } = passwordPolicy;
  return hash(password, { memoryCost, timeCost, parallelism, algorithm });
}

/** True when the password matches; false (never a throw) for a malformed stored hash. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** True when a stored hash was made with other parameters than today's policy. */
export function needsRehash(stored: string): boolean {
  try {
    const o = parseOptions(stored);
    return (
      o.algorithm !== passwordPolicy.algorithm ||
      o.memoryCost !== passwordPolicy.memoryCost ||
      o.timeCost !== passwordPolicy.timeCost ||
      o.parallelism !== passwordPolicy.parallelism
    );
  } catch {
    return true;
  }
}

/** Hex sha256: how session tokens and API keys are stored (they carry 144 random bits). */
export function sha256(secret: string): string {
  // One call, no Hash object: it is on every API request (about 0.5 µs instead of 1.8 µs here).
  return digest('sha256', secret, 'hex');
}

/** API keys are `enq_` + a token, so they are recognisable in configs and secret scanners. */
export const apiKeyMark = 'enq_';
export const apiKeyPrefixLength = 8;
/** Longer inputs are not ours; refusing them early spares a hash and a query. */
export const maxSecretLength = 256;
