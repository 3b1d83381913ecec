import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuthService, createAuthService } from '../../src/auth/index.ts';
import type { Db } from '../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { dialects, testDb } from '../helpers/db.ts';

const hour = 3_600_000;
const minute = 60_000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe.each(dialects())('auth sessions on %s', (dialect) => {
  let db: Db;
  let clock: TestClock;
  let auth: AuthService;
  let userId: string;
  beforeEach(async () => {
    db = await testDb(dialect);
    clock = new TestClock('2026-03-01T09:00:00.000Z');
    auth = createAuthService({ db, clock, ids: sequentialIds() });
    const created = await auth.createUser(
      { email: 'cara@example.org', role: 'client', client: 'acme', password: 'cara-password' },
      { actor: 'cli' },
    );
    userId = created.user.id;
  });
  afterEach(() => db.close());

  const failCode = (email: string, password: string, ip: string | null = '10.0.0.1') =>
    auth.login(email, password, ip).then(
      () => 'ok',
      (e: { code: string }) => e.code,
    );

  it('opens a session stored only as the sha256 of its token', async () => {
    const s = await auth.login('CARA@example.org', 'cara-password', '10.0.0.1');
    expect(s.expiresAt).toBe('2026-03-01T21:00:00.000Z');
    expect(s.endsAt).toBe('2026-03-08T09:00:00.000Z');
    const rows = await db.kysely.selectFrom('sessions').selectAll().execute();
    expect(rows).toEqual([
      {
        id: sha256(s.token),
        user_id: userId,
        created_at: '2026-03-01T09:00:00.000Z',
        expires_at: '2026-03-01T21:00:00.000Z',
        ip: '10.0.0.1',
      },
    ]);
    expect(await auth.resolveSession(s.token)).toEqual({
      kind: 'user',
      id: userId,
      label: 'cara@example.org',
      role: 'client',
      client: 'acme',
    });
    expect(await auth.resolveSession(sha256(s.token))).toBeNull();
    expect(await auth.resolveSession('')).toBeNull();
    expect(await auth.resolveSession('x'.repeat(5000))).toBeNull();
  });

  it('answers the same LOGIN_FAILED for a wrong password, an unknown e-mail and junk', async () => {
    const errors = await Promise.all([
      auth.login('cara@example.org', 'wrong-password', null).catch((e: Error) => e),
      auth.login('nobody@example.org', 'cara-password', null).catch((e: Error) => e),
      auth.login('not an e-mail', 'whatever', null).catch((e: Error) => e),
    ]);
    for (const e of errors) {
      expect(e).toMatchObject({
        code: 'LOGIN_FAILED',
        kind: 'unauthenticated',
        message: 'wrong e-mail or password',
      });
    }
    const audit = await auth.listAudit();
    expect(
      audit
        .filter((a) => a.action === 'login.failed')
        .map((a) => [a.target, a.detail])
        .sort(),
    ).toEqual([
      ['cara@example.org', { reason: 'wrong_password' }],
      ['nobody@example.org', { reason: 'unknown_email' }],
      ['not an e-mail', { reason: 'unknown_email' }],
    ]);
  });

  it('expires after 12 idle hours', async () => {
    const s = await auth.login('cara@example.org', 'cara-password', null);
    clock.tick(12 * hour - 1);
    expect(await auth.resolveSession(s.token)).not.toBeNull();
    clock.tick(12 * hour);
    expect(await auth.resolveSession(s.token)).toBeNull();
    // An expired session is deleted when it is seen.
    expect(await db.kysely.selectFrom('sessions').selectAll().execute()).toEqual([]);
  });

  it('slides with use, written at most every 5 minutes, and ends 7 days after login', async () => {
    const s = await auth.login('cara@example.org', 'cara-password', null);
    const expiresAt = async () =>
      (await db.kysely.selectFrom('sessions').select('expires_at').executeTakeFirstOrThrow()).expires_at;
    clock.tick(4 * minute);
    await auth.resolveSession(s.token);
    expect(await expiresAt()).toBe('2026-03-01T21:00:00.000Z');
    clock.tick(2 * minute); // 09:06
    await auth.resolveSession(s.token);
    expect(await expiresAt()).toBe('2026-03-01T21:06:00.000Z');
    // Used every 11 hours it lives on: at 1 March 09:06 + 11 h × 15 (6 d 21 h) = 8 March 06:06 it is still valid.
    for (let i = 1; i <= 15; i++) {
      clock.tick(11 * hour);
      expect(await auth.resolveSession(s.token)).not.toBeNull();
    }
    expect(clock.now().toISOString()).toBe('2026-03-08T06:06:00.000Z');
    expect(await expiresAt()).toBe('2026-03-08T09:00:00.000Z');
    clock.set('2026-03-08T08:59:59.999Z');
    expect(await auth.resolveSession(s.token)).not.toBeNull();
    clock.set('2026-03-08T09:00:00.000Z');
    expect(await auth.resolveSession(s.token)).toBeNull();
  });

  it('logs out once and harmlessly twice', async () => {
    const s = await auth.login('cara@example.org', 'cara-password', '10.0.0.9');
    await auth.logout(s.token, '10.0.0.9');
    await auth.logout(s.token, '10.0.0.9');
    expect(await auth.resolveSession(s.token)).toBeNull();
    const actions = (await auth.listAudit()).map((a) => [a.actor, a.action, a.ip]);
    expect(actions.slice(0, 2)).toEqual([
      [`user:${userId}`, 'logout', '10.0.0.9'],
      [`user:${userId}`, 'login.ok', '10.0.0.9'],
    ]);
  });

  it('throttles after 10 failures per e-mail and address in 15 minutes', async () => {
    for (let i = 0; i < 10; i++) {
      expect(await failCode('cara@example.org', `wrong-${i}`)).toBe('LOGIN_FAILED');
      clock.tick(1000);
    }
    // Now 09:00:10; the first failure was at 09:00:00, so the window frees at 09:15:00.
    const throttled = await auth
      .login('cara@example.org', 'cara-password', '10.0.0.1')
      .catch((e: Error) => e);
    expect(throttled).toMatchObject({ code: 'LOGIN_THROTTLED', details: { retryAfterSeconds: 890 } });
    expect(await failCode('Cara@Example.org', 'cara-password')).toBe('LOGIN_THROTTLED');
    // Another address and another e-mail from the same address are not affected.
    expect(await failCode('cara@example.org', 'cara-password', '10.0.0.2')).toBe('ok');
    expect(await failCode('nobody@example.org', 'x-password')).toBe('LOGIN_FAILED');
    clock.set('2026-03-01T09:14:59.999Z');
    expect(await failCode('cara@example.org', 'cara-password')).toBe('LOGIN_THROTTLED');
    clock.set('2026-03-01T09:15:00.001Z');
    expect(await failCode('cara@example.org', 'cara-password')).toBe('ok');
    const throttles = (await auth.listAudit(1000)).filter((a) => a.action === 'login.throttled');
    expect(throttles).toHaveLength(3);
  });

  it('starts counting afresh after a successful login', async () => {
    for (let i = 0; i < 9; i++) expect(await failCode('cara@example.org', 'wrong')).toBe('LOGIN_FAILED');
    clock.tick(1);
    expect(await failCode('cara@example.org', 'cara-password')).toBe('ok');
    clock.tick(1);
    for (let i = 0; i < 9; i++) expect(await failCode('cara@example.org', 'wrong')).toBe('LOGIN_FAILED');
    expect(await failCode('cara@example.org', 'cara-password')).toBe('ok');
    clock.tick(1);
    for (let i = 0; i < 10; i++) expect(await failCode('cara@example.org', 'wrong')).toBe('LOGIN_FAILED');
    expect(await failCode('cara@example.org', 'cara-password')).toBe('LOGIN_THROTTLED');
  });

  it('throttles logins without an address (null ip) as their own group', async () => {
    for (let i = 0; i < 10; i++)
      expect(await failCode('cara@example.org', 'wrong', null)).toBe('LOGIN_FAILED');
    expect(await failCode('cara@example.org', 'cara-password', null)).toBe('LOGIN_THROTTLED');
    expect(await failCode('cara@example.org', 'cara-password', '10.0.0.1')).toBe('ok');
  });
});
