import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuthService, createAuthService } from '../../src/auth/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createContext } from '../../src/context.ts';
import type { Db } from '../../src/db/index.ts';
import { buildApp } from '../../src/http/app.ts';
import { registerAuthentication } from '../../src/http/plugins/authenticate.ts';
import { apiKeyRoutes } from '../../src/http/routes/apikeys.ts';
import { auditRoutes } from '../../src/http/routes/audit.ts';
import { sessionRoutes } from '../../src/http/routes/session.ts';
import { userRoutes } from '../../src/http/routes/users.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { dialects, testDb } from '../helpers/db.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const origin = 'http://localhost';

async function appFor(db: Db, dir: string, publicUrl?: string) {
  const config = loadConfig(
    {
      ENQUETE_DATA_DIR: dir,
      ENQUETE_LOG_LEVEL: 'silent',
      ...(publicUrl ? { ENQUETE_PUBLIC_URL: publicUrl } : {}),
    },
    dir,
  );
  const clock = new TestClock('2026-03-01T09:00:00.000Z');
  const ctx = await createContext(config, { db, clock, ids: sequentialIds() });
  const auth = createAuthService({ db: ctx.db, clock: ctx.clock, ids: ctx.ids });
  const app = await buildApp(ctx);
  // buildApp registers authentication and these routes once the lead has wired them; until then
  // the test registers them itself, the same way.
  if (!app.hasRequestDecorator('principal')) {
    await registerAuthentication(app, { auth, config });
    sessionRoutes(app, { auth, config });
    userRoutes(app, { auth });
    apiKeyRoutes(app, { auth });
    auditRoutes(app, { auth });
  }
  await app.ready();
  return { app, auth };
}

describe.each(dialects())('auth over HTTP on %s', (dialect) => {
  let db: Db;
  let dir: string;
  let app: FastifyInstance;
  let auth: AuthService;
  /** Every answer body, to prove no secret ever leaves the server. */
  let bodies: string[];
  const ids = { admin: '', rex: '', cleo: '' };

  const call = async (
    method: Method,
    url: string,
    opts: { cookie?: string; bearer?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.cookie) headers['cookie'] = `enquete_session=${opts.cookie}`;
    if (opts.bearer) headers['authorization'] = `Bearer ${opts.bearer}`;
    const res = await app.inject({
      method,
      url,
      headers,
      ...(opts.body === undefined ? {} : { payload: opts.body as Record<string, unknown> }),
    });
    bodies.push(res.body);
    return res;
  };
  const loginAs = async (email: string, password: string): Promise<string> => {
    const res = await call('POST', '/api/v1/session', { body: { email, password } });
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'enquete_session');
    return cookie!.value;
  };
  const by = { actor: 'cli' };

  beforeEach(async () => {
    db = await testDb(dialect);
    dir = mkdtempSync(join(tmpdir(), 'enquete-auth-http-'));
    ({ app, auth } = await appFor(db, dir));
    bodies = [];
    ids.admin = (
      await auth.createUser({ email: 'admin@x.org', role: 'admin', password: 'admin-password' }, by)
    ).user.id;
    ids.rex = (
      await auth.createUser({ email: 'rex@x.org', role: 'researcher', password: 'rex-password' }, by)
    ).user.id;
    ids.cleo = (
      await auth.createUser(
        { email: 'cleo@acme.com', role: 'client', client: 'acme', password: 'cleo-password' },
        by,
      )
    ).user.id;
  });
  afterEach(async () => {
    await app.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in with a cookie and answers /me', async () => {
    const res = await call('POST', '/api/v1/session', {
      body: { email: 'Cleo@ACME.com', password: 'cleo-password' },
      headers: { origin },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      user: { id: ids.cleo, email: 'cleo@acme.com', name: null, role: 'client', client: 'acme' },
    });
    expect(res.headers['cache-control']).toBe('no-store');
    const [cookie] = res.cookies;
    expect(cookie).toMatchObject({
      name: 'enquete_session',
      httpOnly: true,
      sameSite: 'Lax',
      path: '/',
      maxAge: 604800,
    });
    expect(cookie).not.toHaveProperty('secure');
    const me = await call('GET', '/api/v1/me', { cookie: cookie!.value });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({
      user: { id: ids.cleo, email: 'cleo@acme.com', name: null, role: 'client', client: 'acme' },
    });
    expect((await call('GET', '/api/v1/me')).json()).toEqual({
      error: { code: 'AUTH_REQUIRED', message: 'sign in or send an API key' },
    });
    expect((await call('GET', '/api/v1/me', { cookie: 'made-up' })).statusCode).toBe(401);
  });

  it('refuses a wrong password or unknown e-mail alike, without saying which', async () => {
    const wrongPassword = await call('POST', '/api/v1/session', {
      body: { email: 'rex@x.org', password: 'not-his-password' },
    });
    const unknownEmail = await call('POST', '/api/v1/session', {
      body: { email: 'nobody@x.org', password: 'rex-password' },
    });
    for (const res of [wrongPassword, unknownEmail]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: { code: 'LOGIN_FAILED', message: 'wrong e-mail or password' } });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const missing = await call('POST', '/api/v1/session', { body: { email: 'rex@x.org' } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('REQUEST_INVALID');
    const extra = await call('POST', '/api/v1/session', {
      body: { email: 'rex@x.org', password: 'rex-password', remember: true },
    });
    expect(extra.statusCode).toBe(400);
  });

  it('throttles repeated failures with LOGIN_THROTTLED', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await call('POST', '/api/v1/session', {
        body: { email: 'rex@x.org', password: `guess-${i}` },
      });
      expect(res.json().error.code).toBe('LOGIN_FAILED');
    }
    const res = await call('POST', '/api/v1/session', {
      body: { email: 'rex@x.org', password: 'rex-password' },
    });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('900');
    expect(res.json().error).toEqual({
      code: 'LOGIN_THROTTLED',
      message: 'too many failed logins; try again later',
      details: { retryAfterSeconds: 900 },
    });
  });

  it('logs out: the cookie is cleared and the session ends', async () => {
    const token = await loginAs('rex@x.org', 'rex-password');
    const res = await call('DELETE', '/api/v1/session', { cookie: token, headers: { origin } });
    expect(res.statusCode).toBe(204);
    expect(res.cookies).toEqual([
      expect.objectContaining({
        name: 'enquete_session',
        value: '',
        path: '/',
        httpOnly: true,
        sameSite: 'Lax',
      }),
    ]);
    expect(new Date(res.cookies[0]!.expires!).getTime()).toBe(0);
    expect((await call('GET', '/api/v1/me', { cookie: token })).statusCode).toBe(401);
    // Logging out again, or without any session, is harmless.
    expect((await call('DELETE', '/api/v1/session', { cookie: token, headers: { origin } })).statusCode).toBe(
      204,
    );
    expect((await call('DELETE', '/api/v1/session')).statusCode).toBe(204);
  });

  it('gives researchers and clients 403 on user, key and audit administration', async () => {
    for (const [email, password] of [
      ['rex@x.org', 'rex-password'],
      ['cleo@acme.com', 'cleo-password'],
    ] as const) {
      const cookie = await loginAs(email, password);
      for (const [method, url, body] of [
        ['GET', '/api/v1/users', undefined],
        ['POST', '/api/v1/users', { email: 'new@x.org', role: 'admin' }],
        ['PATCH', `/api/v1/users/${ids.admin}`, { role: 'researcher' }],
        ['GET', '/api/v1/apikeys', undefined],
        ['POST', '/api/v1/apikeys', { name: 'k', role: 'admin' }],
        ['DELETE', '/api/v1/apikeys/ak_x', undefined],
        ['GET', '/api/v1/audit', undefined],
      ] as const) {
        const res = await call(method, url, { cookie, body, headers: { origin } });
        expect([email, method, url, res.statusCode, res.json().error.code]).toEqual([
          email,
          method,
          url,
          403,
          'ROLE_FORBIDDEN',
        ]);
      }
    }
    expect((await auth.listUsers()).map((u) => u.email)).toEqual([
      'admin@x.org',
      'cleo@acme.com',
      'rex@x.org',
    ]);
  });

  it('lets an admin manage users; a generated password is shown once, a given one never', async () => {
    const cookie = await loginAs('admin@x.org', 'admin-password');
    const generated = await call('POST', '/api/v1/users', {
      cookie,
      headers: { origin },
      body: { email: 'Gen@X.org', role: 'client', client: 'globex', name: 'Gen' },
    });
    expect(generated.statusCode).toBe(201);
    const { user, password } = generated.json();
    expect(user).toMatchObject({
      email: 'gen@x.org',
      role: 'client',
      client: 'globex',
      name: 'Gen',
      disabled: false,
    });
    expect(password).toMatch(/^tok\d{21}$/);
    expect(
      (await call('POST', '/api/v1/session', { body: { email: 'gen@x.org', password } })).statusCode,
    ).toBe(200);

    const given = await call('POST', '/api/v1/users', {
      cookie,
      headers: { origin },
      body: { email: 'giv@x.org', role: 'researcher', password: 'a-given-password' },
    });
    expect(given.statusCode).toBe(201);
    expect(given.json().password).toBeNull();
    expect(given.body).not.toContain('a-given-password');

    const duplicate = await call('POST', '/api/v1/users', {
      cookie,
      headers: { origin },
      body: { email: 'GIV@x.org', role: 'researcher' },
    });
    expect([duplicate.statusCode, duplicate.json().error.code]).toEqual([409, 'USER_EXISTS']);
    const noClient = await call('POST', '/api/v1/users', {
      cookie,
      headers: { origin },
      body: { email: 'c2@x.org', role: 'client' },
    });
    expect([noClient.statusCode, noClient.json().error.code]).toEqual([400, 'CLIENT_REQUIRED']);
    const short = await call('POST', '/api/v1/users', {
      cookie,
      headers: { origin },
      body: { email: 'c3@x.org', role: 'researcher', password: 'short' },
    });
    expect([short.statusCode, short.json().error.code]).toEqual([400, 'PASSWORD_TOO_SHORT']);

    const disabled = await call('PATCH', `/api/v1/users/${given.json().user.id}`, {
      cookie,
      headers: { origin },
      body: { disabled: true },
    });
    expect(disabled.json().user).toMatchObject({ email: 'giv@x.org', disabled: true });
    const refused = await call('POST', '/api/v1/session', {
      body: { email: 'giv@x.org', password: 'a-given-password' },
    });
    expect(refused.json().error.code).toBe('LOGIN_FAILED');
    const missing = await call('PATCH', '/api/v1/users/us_nope', {
      cookie,
      headers: { origin },
      body: { name: 'x' },
    });
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'USER_NOT_FOUND']);

    const list = await call('GET', '/api/v1/users', { cookie });
    expect(list.json().users.map((u: { email: string }) => u.email)).toEqual([
      'admin@x.org',
      'cleo@acme.com',
      'gen@x.org',
      'giv@x.org',
      'rex@x.org',
    ]);
  });

  it('authenticates scripts with an API key until it is revoked', async () => {
    const cookie = await loginAs('admin@x.org', 'admin-password');
    const created = await call('POST', '/api/v1/apikeys', {
      cookie,
      headers: { origin },
      body: { name: 'etl', role: 'admin' },
    });
    expect(created.statusCode).toBe(201);
    const { apiKey, key } = created.json();
    expect(key).toMatch(/^enq_/);
    expect(apiKey).toMatchObject({
      name: 'etl',
      role: 'admin',
      client: null,
      prefix: key.slice(0, 8),
      revokedAt: null,
    });

    const me = await call('GET', '/api/v1/me', { bearer: key });
    expect(me.json()).toEqual({ apiKey: { id: apiKey.id, name: 'etl', role: 'admin', client: null } });
    // A key is exempt from the Origin check: no browser sends it by itself.
    const viaKey = await call('POST', '/api/v1/users', {
      bearer: key,
      body: { email: 'bot-made@x.org', role: 'researcher', password: 'bot-password' },
    });
    expect(viaKey.statusCode).toBe(201);

    const clientKey = await call('POST', '/api/v1/apikeys', {
      bearer: key,
      body: { name: 'acme feed', role: 'client', client: 'acme' },
    });
    const clientKeyValue: string = clientKey.json().key;
    const asClient = await call('GET', '/api/v1/users', { bearer: clientKeyValue });
    expect([asClient.statusCode, asClient.json().error.code]).toEqual([403, 'ROLE_FORBIDDEN']);

    const list = await call('GET', '/api/v1/apikeys', { cookie });
    expect(list.json().apiKeys.map((k: { name: string }) => k.name)).toEqual(['acme feed', 'etl']);

    expect(
      (await call('DELETE', `/api/v1/apikeys/${apiKey.id}`, { cookie, headers: { origin } })).statusCode,
    ).toBe(204);
    const revoked = await call('GET', '/api/v1/me', { bearer: key });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().error.code).toBe('APIKEY_INVALID');
    const unknown = await call('DELETE', '/api/v1/apikeys/ak_nope', { cookie, headers: { origin } });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'APIKEY_NOT_FOUND']);
    // A bearer token that is not ours (a scheduler's identity token) leaves the request anonymous.
    const foreign = await call('GET', '/api/v1/me', { bearer: 'eyJhbGciOiJSUzI1NiJ9.e30.sig' });
    expect(foreign.json().error.code).toBe('AUTH_REQUIRED');
    expect((await call('GET', '/healthz', { bearer: 'eyJhbGciOiJSUzI1NiJ9.e30.sig' })).statusCode).toBe(200);
  });

  it('rejects cookie-authenticated changes from another origin (CSRF)', async () => {
    const cookie = await loginAs('admin@x.org', 'admin-password');
    const body = { name: 'k', role: 'researcher' };
    const post = (headers: Record<string, string>) =>
      call('POST', '/api/v1/apikeys', { cookie, body, headers });
    const refused: Record<string, string>[] = [
      {},
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: 'http://localhost:8081' },
      { referer: 'http://evil.example/page' },
      { origin: 'http://evil.example', referer: 'http://localhost/console' },
    ];
    for (const headers of refused) {
      const res = await post(headers);
      expect([JSON.stringify(headers), res.statusCode, res.json().error?.code]).toEqual([
        JSON.stringify(headers),
        403,
        'CSRF_REJECTED',
      ]);
    }
    expect(await auth.listApiKeys()).toEqual([]);
    expect((await post({ origin: 'http://localhost' })).statusCode).toBe(201);
    expect((await post({ referer: 'http://localhost/console/users' })).statusCode).toBe(201);
    // Behind a proxy: the public URL (default http://localhost:8080) and X-Forwarded-Host count.
    expect((await post({ origin: 'http://localhost:8080' })).statusCode).toBe(201);
    expect(
      (await post({ origin: 'https://surveys.example.org', 'x-forwarded-host': 'surveys.example.org' }))
        .statusCode,
    ).toBe(201);
    // Safe methods need no Origin.
    expect((await call('GET', '/api/v1/apikeys', { cookie })).statusCode).toBe(200);
    // Login from another site's page is refused too.
    const crossLogin = await call('POST', '/api/v1/session', {
      body: { email: 'admin@x.org', password: 'admin-password' },
      headers: { origin: 'http://evil.example' },
    });
    expect([crossLogin.statusCode, crossLogin.json().error.code]).toEqual([403, 'CSRF_REJECTED']);
  });

  it('lets a user change their own password: the current one must be right, other sessions end', async () => {
    const here = await loginAs('cleo@acme.com', 'cleo-password');
    const elsewhere = await loginAs('cleo@acme.com', 'cleo-password');
    const change = (body: unknown, cookie = here) =>
      call('POST', '/api/v1/me/password', { cookie, headers: { origin }, body });

    const wrong = await change({ current: 'not-my-password', password: 'cleo-new-password' });
    expect([wrong.statusCode, wrong.json().error.code]).toEqual([400, 'PASSWORD_WRONG']);
    const short = await change({ current: 'cleo-password', password: 'short' });
    expect([short.statusCode, short.json().error.code]).toEqual([400, 'PASSWORD_TOO_SHORT']);
    const same = await change({ current: 'cleo-password', password: 'cleo-password' });
    expect([same.statusCode, same.json().error.code]).toEqual([400, 'PASSWORD_UNCHANGED']);
    expect((await call('GET', '/api/v1/me', { cookie: elsewhere })).statusCode).toBe(200);

    expect((await change({ current: 'cleo-password', password: 'cleo-new-password' })).statusCode).toBe(204);
    expect((await call('GET', '/api/v1/me', { cookie: here })).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/me', { cookie: elsewhere })).statusCode).toBe(401);
    const old = await call('POST', '/api/v1/session', {
      body: { email: 'cleo@acme.com', password: 'cleo-password' },
    });
    expect(old.statusCode).toBe(401);
    await loginAs('cleo@acme.com', 'cleo-new-password');

    // Without a session, or with an API key, there is no own password to change.
    const anonymous = await call('POST', '/api/v1/me/password', {
      headers: { origin },
      body: { current: 'x', password: 'whatever-long' },
    });
    expect(anonymous.statusCode).toBe(401);
    const { key } = await auth.createApiKey({ name: 'etl', role: 'researcher', client: null, actor: 'cli' });
    const byKey = await call('POST', '/api/v1/me/password', {
      bearer: key,
      body: { current: 'x', password: 'whatever-long' },
    });
    expect([byKey.statusCode, byKey.json().error.code]).toEqual([403, 'PASSWORD_NOT_FOR_KEYS']);
    const audit = await auth.listAudit(50);
    expect(audit.filter((e) => e.action === 'user.password_changed').map((e) => [e.actor, e.target])).toEqual(
      [[`user:${ids.cleo}`, `user:${ids.cleo}`]],
    );
    expect(bodies.join('\n')).not.toContain('cleo-new-password');
  });

  it('shows the audit log to admins', async () => {
    await call('POST', '/api/v1/session', { body: { email: 'rex@x.org', password: 'wrong-password' } });
    const cookie = await loginAs('admin@x.org', 'admin-password');
    const res = await call('GET', '/api/v1/audit?limit=2', { cookie });
    expect(res.statusCode).toBe(200);
    expect(
      res
        .json()
        .entries.map((e: { actor: string; action: string; target: string; ip: string }) => [
          e.actor,
          e.action,
          e.target,
          e.ip,
        ]),
    ).toEqual([
      [`user:${ids.admin}`, 'login.ok', 'admin@x.org', '127.0.0.1'],
      ['anonymous', 'login.failed', 'rex@x.org', '127.0.0.1'],
    ]);
    expect((await call('GET', '/api/v1/audit?limit=0', { cookie })).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/audit?limit=abc', { cookie })).statusCode).toBe(400);
  });

  it('never answers with a password, a hash or a key beyond its creation', async () => {
    const cookie = await loginAs('admin@x.org', 'admin-password');
    const created = await call('POST', '/api/v1/apikeys', {
      cookie,
      headers: { origin },
      body: { name: 'etl', role: 'researcher' },
    });
    const key: string = created.json().key;
    await call('GET', '/api/v1/me', { bearer: key });
    await call('POST', '/api/v1/users', {
      cookie,
      headers: { origin },
      body: { email: 'new@x.org', role: 'researcher', password: 'new-user-password' },
    });
    await call('PATCH', `/api/v1/users/${ids.rex}`, {
      cookie,
      headers: { origin },
      body: { password: 'rex-new-password' },
    });
    for (const url of ['/api/v1/users', '/api/v1/apikeys', '/api/v1/audit?limit=1000', '/api/v1/me']) {
      expect((await call('GET', url, { cookie })).statusCode).toBe(200);
    }
    const hashes = [
      ...(await db.kysely.selectFrom('users').select('password_hash').execute()).map((r) => r.password_hash),
      ...(await db.kysely.selectFrom('api_keys').select('key_hash').execute()).map((r) => r.key_hash),
      ...(await db.kysely.selectFrom('sessions').select('id').execute()).map((r) => r.id),
    ];
    const secrets = [...hashes, 'argon2', 'admin-password', 'new-user-password', 'rex-new-password', cookie];
    const answers = bodies.filter((b) => b !== created.body).join('\n');
    for (const secret of secrets) expect(answers).not.toContain(secret);
    expect(answers).not.toContain(key);
    expect(answers).not.toMatch(/password_hash|key_hash|passwordHash|keyHash/);
  });
});

describe('session cookie behind https', () => {
  it('is Secure when the public URL is https', async () => {
    const db = await testDb('sqlite');
    const dir = mkdtempSync(join(tmpdir(), 'enquete-auth-https-'));
    const { app, auth } = await appFor(db, dir, 'https://surveys.example.org');
    try {
      await auth.createUser(
        { email: 'a@x.org', role: 'admin', password: 'admin-password' },
        { actor: 'cli' },
      );
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { origin: 'https://surveys.example.org', host: '10.0.0.5:8080' },
        payload: { email: 'a@x.org', password: 'admin-password' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.cookies[0]).toMatchObject({
        name: 'enquete_session',
        secure: true,
        httpOnly: true,
        sameSite: 'Lax',
      });
    } finally {
      await app.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
