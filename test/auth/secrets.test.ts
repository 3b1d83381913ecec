import { createHash } from 'node:crypto';
import { parseOptions } from '@node-rs/argon2';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AuthService, createAuthService, passwordPolicy } from '../../src/auth/index.ts';
import { dummyPasswordHash, sha256 } from '../../src/auth/secrets.ts';
import { type Db, migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';

const argon = vi.hoisted(() => ({ verifies: 0 }));
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof import('@node-rs/argon2')>();
  return {
    ...real,
    verify: (...args: Parameters<typeof real.verify>) => {
      argon.verifies++;
      return real.verify(...args);
    },
  };
});

describe('timing safety of logins', () => {
  let db: Db;
  let auth: AuthService;
  beforeEach(async () => {
    db = openDatabase({ sqlitePath: ':memory:' });
    await migrateToLatest(db);
    auth = createAuthService({ db, clock: new TestClock(), ids: sequentialIds() });
    await auth.createUser(
      { email: 'on@x.org', role: 'researcher', password: 'on-password' },
      { actor: 'cli' },
    );
    const off = await auth.createUser(
      { email: 'off@x.org', role: 'researcher', password: 'off-password' },
      { actor: 'cli' },
    );
    await auth.createUser(
      { email: 'admin@x.org', role: 'admin', password: 'admin-password' },
      { actor: 'cli' },
    );
    await auth.updateUser(off.user.id, { disabled: true }, { actor: 'cli' });
    argon.verifies = 0;
  });
  afterEach(() => db.close());

  it('the stand-in hash has the same cost parameters as real ones', () => {
    const o = parseOptions(dummyPasswordHash);
    expect([o.algorithm, o.memoryCost, o.timeCost, o.parallelism]).toEqual([
      passwordPolicy.algorithm,
      passwordPolicy.memoryCost,
      passwordPolicy.timeCost,
      passwordPolicy.parallelism,
    ]);
  });

  it.each([
    ['right password', 'on@x.org', 'on-password'],
    ['wrong password', 'on@x.org', 'on-passwort'],
    ['unknown e-mail', 'nobody@x.org', 'on-password'],
    ['disabled user', 'off@x.org', 'off-password'],
    ['malformed e-mail', 'nobody', 'on-password'],
  ])('spends exactly one argon2 verify for a %s', async (_case, email, password) => {
    await auth.login(email, password, null).catch(() => undefined);
    expect(argon.verifies).toBe(1);
  });
});

describe('sha256 of secrets', () => {
  it('is hex SHA-256 of the UTF-8 bytes', () => {
    // FIPS 180-2, appendix B.1.
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256('é')).toBe(
      createHash('sha256')
        .update(Buffer.from([0xc3, 0xa9]))
        .digest('hex'),
    );
  });
});
