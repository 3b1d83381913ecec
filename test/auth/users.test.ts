import { createHash } from 'node:crypto';
import { verify } from '@node-rs/argon2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuthService, createAuthService } from '../../src/auth/index.ts';
import type { Db } from '../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { dialects, testDb } from '../helpers/db.ts';

const by = { actor: 'cli', ip: null };

describe.each(dialects())('auth users on %s', (dialect) => {
  let db: Db;
  let clock: TestClock;
  let auth: AuthService;
  beforeEach(async () => {
    db = await testDb(dialect);
    clock = new TestClock('2026-03-01T09:00:00.000Z');
    auth = createAuthService({ db, clock, ids: sequentialIds() });
  });
  afterEach(() => db.close());

  it('creates a user with an argon2id hash and never returns the hash', async () => {
    const created = await auth.createUser(
      { email: '  Ann@Example.ORG ', name: 'Ann', role: 'researcher', password: 'correct horse' },
      by,
    );
    expect(created).toEqual({
      user: {
        id: 'us_000000000001',
        email: 'ann@example.org',
        name: 'Ann',
        role: 'researcher',
        client: null,
        createdAt: '2026-03-01T09:00:00.000Z',
        disabled: false,
        disabledAt: null,
      },
      password: 'correct horse',
      generated: false,
    });
    const row = await db.kysely.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.password_hash).not.toContain('correct horse');
    expect(await verify(row.password_hash, 'correct horse')).toBe(true);
    expect(await verify(row.password_hash, 'correct hors')).toBe(false);
    expect(JSON.stringify(await auth.listUsers())).not.toContain('argon2');
  });

  it('generates a password when none is given and shows it once', async () => {
    const created = await auth.createUser({ email: 'c@example.org', role: 'client', client: 'acme' }, by);
    // sequentialIds' tokens look like this; the proof that it is the password is the login below.
    expect(created.password).toMatch(/^tok\d{21}$/);
    expect(created.generated).toBe(true);
    expect(created.user.client).toBe('acme');
    const login = await auth.login('c@example.org', created.password, '10.0.0.1');
    expect(login.user.id).toBe(created.user.id);
  });

  it('refuses bad input with stable codes', async () => {
    const bad = async (input: Parameters<AuthService['createUser']>[0]) =>
      auth.createUser(input, by).then(
        () => 'created',
        (e: { code: string }) => e.code,
      );
    expect(await bad({ email: 'a@x.org', role: 'portal', password: 'long enough pw' })).toBe('ROLE_INVALID');
    expect(await bad({ email: 'a@x.org', role: 'boss', password: 'long enough pw' })).toBe('ROLE_INVALID');
    expect(await bad({ email: 'a@x.org', role: 'client', password: 'long enough pw' })).toBe(
      'CLIENT_REQUIRED',
    );
    expect(await bad({ email: 'a@x.org', role: 'client', client: '  ', password: 'long enough pw' })).toBe(
      'CLIENT_INVALID',
    );
    expect(await bad({ email: 'a@x.org', role: 'admin', client: 'acme', password: 'long enough pw' })).toBe(
      'CLIENT_NOT_ALLOWED',
    );
    expect(await bad({ email: 'a@x.org', role: 'admin', password: '123456789' })).toBe('PASSWORD_TOO_SHORT');
    expect(await bad({ email: 'a@x.org', role: 'admin', password: 'x'.repeat(1001) })).toBe(
      'PASSWORD_TOO_LONG',
    );
    expect(await bad({ email: 'not an email', role: 'admin', password: 'long enough pw' })).toBe(
      'EMAIL_INVALID',
    );
    expect(await bad({ email: 'a@x.org', role: 'admin', password: '1234567890' })).toBe('created');
    expect(await bad({ email: 'A@X.org', role: 'researcher', password: '1234567890' })).toBe('USER_EXISTS');
    expect(await db.kysely.selectFrom('users').select('email').execute()).toEqual([{ email: 'a@x.org' }]);
  });

  it('changes role and client together', async () => {
    const { user } = await auth.createUser(
      { email: 'r@x.org', role: 'researcher', password: 'pw-1234567' },
      by,
    );
    await expect(auth.updateUser(user.id, { role: 'client' }, by)).rejects.toMatchObject({
      code: 'CLIENT_REQUIRED',
    });
    expect((await auth.updateUser(user.id, { role: 'client', client: 'acme' }, by)).client).toBe('acme');
    // Staying a client keeps the client; leaving the role clears it.
    expect((await auth.updateUser(user.id, { name: 'Rita' }, by)).client).toBe('acme');
    const back = await auth.updateUser(user.id, { role: 'researcher' }, by);
    expect(back).toMatchObject({ role: 'researcher', client: null, name: 'Rita' });
    await expect(auth.updateUser(user.id, { client: 'acme' }, by)).rejects.toMatchObject({
      code: 'CLIENT_NOT_ALLOWED',
    });
    await expect(auth.updateUser('us_nope', { name: 'x' }, by)).rejects.toMatchObject({
      code: 'USER_NOT_FOUND',
      kind: 'not_found',
    });
  });

  it('disabling or a new password ends sessions; a disabled user cannot log in', async () => {
    const { user } = await auth.createUser(
      { email: 'd@x.org', role: 'researcher', password: 'first-pass' },
      by,
    );
    const s1 = await auth.login('d@x.org', 'first-pass', null);
    await auth.updateUser(user.id, { password: 'second-pass' }, by);
    expect(await auth.resolveSession(s1.token)).toBeNull();
    await expect(auth.login('d@x.org', 'first-pass', null)).rejects.toMatchObject({ code: 'LOGIN_FAILED' });
    const s2 = await auth.login('d@x.org', 'second-pass', null);
    clock.tick(1000);
    const disabled = await auth.updateUser(user.id, { disabled: true }, by);
    expect(disabled).toMatchObject({ disabled: true, disabledAt: '2026-03-01T09:00:01.000Z' });
    expect(await auth.resolveSession(s2.token)).toBeNull();
    await expect(auth.login('d@x.org', 'second-pass', null)).rejects.toMatchObject({
      code: 'LOGIN_FAILED',
      message: 'wrong e-mail or password',
    });
    expect(await auth.updateUser(user.id, { disabled: false }, by)).toMatchObject({ disabled: false });
    expect((await auth.login('d@x.org', 'second-pass', null)).user.email).toBe('d@x.org');
  });

  it('keeps at least one enabled admin', async () => {
    const a = await auth.createUser({ email: 'a@x.org', role: 'admin', password: 'admin-pass-1' }, by);
    await expect(auth.updateUser(a.user.id, { role: 'researcher' }, by)).rejects.toMatchObject({
      code: 'LAST_ADMIN',
    });
    await expect(auth.updateUser(a.user.id, { disabled: true }, by)).rejects.toMatchObject({
      code: 'LAST_ADMIN',
    });
    const b = await auth.createUser({ email: 'b@x.org', role: 'admin', password: 'admin-pass-2' }, by);
    expect((await auth.updateUser(a.user.id, { disabled: true }, by)).disabled).toBe(true);
    await expect(auth.updateUser(b.user.id, { role: 'researcher' }, by)).rejects.toMatchObject({
      code: 'LAST_ADMIN',
    });
  });

  it('creates the first admin once, with the given or a generated password', async () => {
    const first = await auth.ensureAdmin('the-admin-password');
    expect(first).toEqual({ email: 'admin@localhost', password: 'the-admin-password', generated: false });
    expect(await auth.ensureAdmin()).toBeNull();
    expect(await auth.ensureAdmin('another-password')).toBeNull();
    const { user } = await auth.login('admin@localhost', 'the-admin-password', '127.0.0.1');
    expect(user).toMatchObject({ role: 'admin', name: 'Administrator' });
    expect(await db.kysely.selectFrom('users').select('email').execute()).toHaveLength(1);
  });

  it('generates the first admin password when none is configured', async () => {
    const first = await auth.ensureAdmin();
    expect(first?.generated).toBe(true);
    expect(first?.password.length).toBeGreaterThanOrEqual(10);
    await expect(auth.login('admin@localhost', first!.password, null)).resolves.toMatchObject({
      user: { email: 'admin@localhost' },
    });
    await expect(createAuthService({ db, clock, ids: sequentialIds(100) }).ensureAdmin()).resolves.toBeNull();
  });

  it('refuses a too short first admin password', async () => {
    await expect(auth.ensureAdmin('short')).rejects.toMatchObject({ code: 'PASSWORD_TOO_SHORT' });
    expect(await auth.listUsers()).toEqual([]);
  });

  it('writes user changes to the audit log without secrets', async () => {
    const { user } = await auth.createUser(
      { email: 'e@x.org', role: 'client', client: 'acme', password: 'secret-pass' },
      { actor: 'user:us_admin', ip: '10.1.1.1' },
    );
    clock.tick(5);
    await auth.updateUser(user.id, { password: 'other-secret', role: 'researcher' }, { actor: 'cli' });
    const entries = await auth.listAudit();
    expect(entries.map((e) => [e.actor, e.action, e.target, e.detail, e.ip])).toEqual([
      [
        'cli',
        'user.updated',
        `user:${user.id}`,
        { changed: ['role', 'client', 'password'], role: 'researcher', client: null },
        null,
      ],
      [
        'user:us_admin',
        'user.created',
        `user:${user.id}`,
        { email: 'e@x.org', role: 'client', client: 'acme' },
        '10.1.1.1',
      ],
    ]);
    expect(entries[0]!.at).toBe('2026-03-01T09:00:00.005Z');
    const all = JSON.stringify(await db.kysely.selectFrom('audit_log').selectAll().execute());
    expect(all).not.toContain('secret');
    expect(all).not.toContain(createHash('sha256').update('secret-pass').digest('hex'));
  });
});
