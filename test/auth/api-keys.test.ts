import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiKeyCache } from '../../src/auth/api-keys.ts';
import { type AuthService, createAuthService } from '../../src/auth/index.ts';
import type { Db } from '../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { dialects, testDb } from '../helpers/db.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe.each(dialects())('auth API keys on %s', (dialect) => {
  let db: Db;
  let clock: TestClock;
  let auth: AuthService;
  beforeEach(async () => {
    db = await testDb(dialect);
    clock = new TestClock('2026-03-01T09:00:00.000Z');
    auth = createAuthService({ db, clock, ids: sequentialIds() });
  });
  afterEach(() => db.close());

  it('shows the key once and stores its sha256 and a short prefix', async () => {
    const { apiKey, key } = await auth.createApiKey({
      name: ' nightly export ',
      role: 'researcher',
      actor: 'cli',
    });
    expect(key).toMatch(/^enq_tok\d{21}$/);
    expect(apiKey).toEqual({
      id: apiKey.id,
      name: 'nightly export',
      prefix: key.slice(0, 8),
      role: 'researcher',
      client: null,
      createdAt: '2026-03-01T09:00:00.000Z',
      createdBy: 'cli',
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(apiKey.prefix).toBe('enq_tok0');
    const row = await db.kysely.selectFrom('api_keys').selectAll().executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(sha256(key));
    const everything = JSON.stringify([
      await db.kysely.selectFrom('api_keys').selectAll().execute(),
      await db.kysely.selectFrom('audit_log').selectAll().execute(),
      await auth.listApiKeys(),
    ]);
    expect(everything).not.toContain(key);
    expect(JSON.stringify(await auth.listApiKeys())).not.toContain(row.key_hash);
  });

  it('resolves a key to its principal until revoked', async () => {
    const { apiKey, key } = await auth.createApiKey({
      name: 'acme portal',
      role: 'client',
      client: 'acme',
      actor: 'user:us_a',
    });
    expect(await auth.resolveApiKey(key)).toEqual({
      kind: 'apikey',
      id: apiKey.id,
      label: 'acme portal',
      role: 'client',
      client: 'acme',
    });
    expect(await auth.resolveApiKey(`${key}x`)).toBeNull();
    expect(await auth.resolveApiKey(key.slice(4))).toBeNull();
    clock.tick(1000);
    const revoked = await auth.revokeApiKey(apiKey.id, { actor: 'user:us_a', ip: '10.0.0.1' });
    expect(revoked.revokedAt).toBe('2026-03-01T09:00:01.000Z');
    expect(await auth.resolveApiKey(key)).toBeNull();
    clock.tick(1000);
    expect((await auth.revokeApiKey(apiKey.id, { actor: 'cli' })).revokedAt).toBe('2026-03-01T09:00:01.000Z');
    await expect(auth.revokeApiKey('ak_nope', { actor: 'cli' })).rejects.toMatchObject({
      code: 'APIKEY_NOT_FOUND',
      kind: 'not_found',
    });
    const audit = await auth.listAudit();
    expect(audit.map((a) => [a.actor, a.action, a.target, a.ip])).toEqual([
      ['user:us_a', 'apikey.revoked', `apikey:${apiKey.id}`, '10.0.0.1'],
      ['user:us_a', 'apikey.created', `apikey:${apiKey.id}`, null],
    ]);
  });

  it('trusts a resolved key for 5 s: a revocation by another process (here the database) takes effect after it', async () => {
    const { apiKey, key } = await auth.createApiKey({ name: 'portal', role: 'portal', actor: 'cli' });
    const principal = { kind: 'apikey', id: apiKey.id, label: 'portal', role: 'portal', client: null };
    expect(await auth.resolveApiKey(key)).toEqual(principal);
    await db.kysely
      .updateTable('api_keys')
      .set({ revoked_at: '2026-03-01T09:00:01.000Z' })
      .where('id', '=', apiKey.id)
      .execute();
    clock.tick(4_999);
    expect(await auth.resolveApiKey(key)).toEqual(principal);
    clock.tick(1);
    expect(await auth.resolveApiKey(key)).toBeNull();
    // Another service on the same database (another process) never saw the key: refused at once.
    const other = createAuthService({ db, clock, ids: sequentialIds(100) });
    expect(await other.resolveApiKey(key)).toBeNull();
  });

  it('refuses a key revoked through this service at once, even while it was cached', async () => {
    const { apiKey, key } = await auth.createApiKey({ name: 'portal', role: 'portal', actor: 'cli' });
    expect(await auth.resolveApiKey(key)).not.toBeNull();
    expect(await auth.resolveApiKey(key)).not.toBeNull();
    // The entry expired: a resolution reads the row, and a revocation starts meanwhile.
    clock.tick(5_000);
    const racing = auth.resolveApiKey(key);
    await auth.revokeApiKey(apiKey.id, { actor: 'cli' });
    await racing;
    expect(await auth.resolveApiKey(key)).toBeNull();
    clock.tick(1_000);
    expect(await auth.resolveApiKey(key)).toBeNull();
  });

  it('does not let a resolution that read the row before a revocation put the key back', () => {
    const cache = apiKeyCache({ ttlMs: 5_000 });
    const principal = {
      kind: 'apikey' as const,
      id: 'ak_1',
      label: 'p',
      role: 'portal' as const,
      client: null,
    };
    cache.set('h1', { principal, lastUsedMs: null }, 1_000);
    expect(cache.get('h1', 5_999)?.principal).toEqual(principal);
    expect(cache.get('h1', 6_000)).toBeUndefined();
    cache.set('h1', { principal, lastUsedMs: null }, 6_000);
    cache.forget('ak_1', 7_000);
    expect(cache.get('h1', 7_000)).toBeUndefined();
    cache.set('h1', { principal, lastUsedMs: null }, 7_500); // read before the revocation, set after
    expect(cache.get('h1', 7_500)).toBeUndefined();
    cache.set('h1', { principal, lastUsedMs: null }, 12_000); // a later read (of a key still valid)
    expect(cache.get('h1', 12_000)?.principal).toEqual(principal);
  });

  it('records the last use at most once a minute', async () => {
    const { apiKey, key } = await auth.createApiKey({ name: 'k', role: 'portal', actor: 'cli' });
    const lastUsed = async () => (await auth.listApiKeys()).find((k) => k.id === apiKey.id)?.lastUsedAt;
    await auth.resolveApiKey(key);
    expect(await lastUsed()).toBe('2026-03-01T09:00:00.000Z');
    clock.tick(4_999);
    // Trusted and used within the minute: answered at once from memory, no promise.
    expect(auth.resolveApiKey(key)).toMatchObject({ id: apiKey.id, role: 'portal' });
    clock.tick(55_000);
    await auth.resolveApiKey(key);
    expect(await lastUsed()).toBe('2026-03-01T09:00:00.000Z');
    clock.tick(1);
    // The minute is over: the answer waits for the write.
    const touching = auth.resolveApiKey(key);
    expect(touching).toBeInstanceOf(Promise);
    expect(await touching).toMatchObject({ id: apiKey.id });
    expect(await lastUsed()).toBe('2026-03-01T09:01:00.000Z');
  });

  it('checks names, roles and clients', async () => {
    const code = (input: Parameters<AuthService['createApiKey']>[0]) =>
      auth.createApiKey(input).then(
        (r) => r.apiKey.role,
        (e: { code: string }) => e.code,
      );
    expect(await code({ name: 'p', role: 'portal', actor: 'cli' })).toBe('portal');
    expect(await code({ name: 'a', role: 'admin', actor: 'cli' })).toBe('admin');
    expect(await code({ name: 'c', role: 'client', actor: 'cli' })).toBe('CLIENT_REQUIRED');
    expect(await code({ name: 'p', role: 'portal', client: 'acme', actor: 'cli' })).toBe(
      'CLIENT_NOT_ALLOWED',
    );
    expect(await code({ name: 'x', role: 'root', actor: 'cli' })).toBe('ROLE_INVALID');
    expect(await code({ name: '  ', role: 'admin', actor: 'cli' })).toBe('APIKEY_NAME_INVALID');
    expect(await code({ name: 'n'.repeat(101), role: 'admin', actor: 'cli' })).toBe('APIKEY_NAME_INVALID');
    expect((await auth.listApiKeys()).map((k) => k.name)).toEqual(['a', 'p']);
  });

  it('lists the audit log newest first within a limit', async () => {
    for (let i = 0; i < 5; i++) {
      await auth.audit({ actor: 'system', action: `test.${i}`, detail: { i }, ip: null });
      clock.tick(1);
    }
    const two = await auth.listAudit(2);
    expect(two.map((e) => [e.action, e.detail, e.at])).toEqual([
      ['test.4', { i: 4 }, '2026-03-01T09:00:00.004Z'],
      ['test.3', { i: 3 }, '2026-03-01T09:00:00.003Z'],
    ]);
    expect(await auth.listAudit(0)).toHaveLength(1);
    expect(await auth.listAudit(Number.NaN)).toHaveLength(5);
  });
});
