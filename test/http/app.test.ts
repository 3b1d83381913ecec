import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.ts';
import { buildApp } from '../../src/http/app.ts';
import { testContext } from '../helpers/context.ts';
import { dialects } from '../helpers/db.ts';

describe.each(dialects())('the HTTP app on %s', (dialect) => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let ctx: Context;

  beforeAll(async () => {
    const c = await testContext(dialect, { env: { ENQUETE_BODY_LIMIT: '4096' } });
    ctx = c;
    close = c.close;
    app = await buildApp(ctx);
  });
  afterAll(async () => {
    await app.close();
    await close();
  });

  it('answers the health check', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('answers unknown routes with the error shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/nothing?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: { code: 'ROUTE_NOT_FOUND', message: 'no route for GET /api/v1/nothing' },
    });
  });

  it('answers a long path parameter with the error shape of the route, not a bare 414', async () => {
    const { key } = await ctx.auth.createApiKey({
      name: 'long-params',
      role: 'admin',
      client: null,
      actor: 'test',
    });
    const longId = 'M'.repeat(150);
    const portal = await app.inject({
      url: `/api/v1/portal/members/${longId}/surveys`,
      headers: { authorization: `Bearer ${key}` },
    });
    expect(portal.statusCode).toBe(200);
    expect(portal.json()).toEqual({ surveys: [] });
    const tooLong = await app.inject({
      url: `/api/v1/portal/members/${'M'.repeat(300)}/surveys`,
      headers: { authorization: `Bearer ${key}` },
    });
    expect(tooLong.statusCode).toBe(400);
    expect((tooLong.json() as { error: { code: string } }).error.code).toBe('REQUEST_INVALID');
    const beyond = await app.inject({ url: `/api/v1/surveys/${'x'.repeat(1200)}` });
    expect([beyond.statusCode, beyond.json()]).toEqual([
      414,
      { error: { code: 'URI_TOO_LONG', message: 'a part of the address is too long' } },
    ]);
    const badUrl = await app.inject({ url: '/api/v1/surveys/%E0%A4%A' });
    expect([badUrl.statusCode, badUrl.json()]).toEqual([
      400,
      { error: { code: 'REQUEST_INVALID', message: 'the address is not valid' } },
    ]);
  });

  it('publishes the OpenAPI document', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/docs' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/session', '/api/v1/users', '/api/v1/respond/{token}/complete']),
    );
    expect(doc.paths['/api/v1/users'].get.security).toEqual([{ bearer: [] }, { session: [] }]);
    expect(doc.paths['/api/v1/respond/{token}'].get.security).toBeUndefined();
    // Every API path is filed under one of the tags.
    const tags = (path: string) =>
      Object.values(doc.paths[path] as Record<string, { tags?: string[] }>)[0]?.tags;
    expect(tags('/api/v1/surveys/{id}/quotas')).toEqual(['distribution']);
    expect(tags('/api/v1/quotas/{quotaId}')).toEqual(['distribution']);
    expect(tags('/api/v1/surveys/{id}')).toEqual(['surveys']);
    expect(tags('/api/v1/segments/count')).toEqual(['panel']);
    expect(tags('/api/v1/members')).toEqual(['panel']);
    const untagged = Object.keys(doc.paths).filter((p) => !tags(p));
    expect(untagged).toEqual([]);
  });

  it('leaves respondent routes to their token, even for a signed-in console user', async () => {
    await ctx.auth.createUser(
      { email: 'r@example.org', role: 'researcher', password: 'researcher-pw-1' },
      { actor: 'cli' },
    );
    const { token } = await ctx.auth.login('r@example.org', 'researcher-pw-1', null);
    const res = await app.inject({
      method: 'PUT',
      url: '/api/v1/respond/not-a-token',
      headers: { cookie: `enquete_session=${token}`, origin: 'https://elsewhere.example' },
      payload: { data: {}, page: 0 },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('RESPONSE_TOKEN_UNKNOWN');
    const api = await app.inject({
      method: 'POST',
      url: '/api/v1/surveys',
      headers: { cookie: `enquete_session=${token}`, origin: 'https://elsewhere.example' },
      payload: { source: '{}' },
    });
    expect(api.json().error.code).toBe('CSRF_REJECTED');
  });

  it('keeps an audit trail of changes made through the API, without bodies', async () => {
    const { key, apiKey } = await ctx.auth.createApiKey({ name: 'script', role: 'researcher', actor: 'cli' });
    const auth = { authorization: `Bearer ${key}` };
    const source = JSON.stringify({ title: 'Audited', pages: [{ elements: [{ type: 'text', name: 'q' }] }] });
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/surveys',
      headers: auth,
      payload: { source },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().survey.id as string;
    const published = await app.inject({
      method: 'POST',
      url: `/api/v1/surveys/${id}/publish`,
      headers: auth,
    });
    expect(published.statusCode).toBe(200);
    const refused = await app.inject({
      method: 'POST',
      url: '/api/v1/surveys',
      headers: auth,
      payload: { source: '{' },
    });
    expect(refused.statusCode).toBe(400);
    await app.inject({ method: 'GET', url: `/api/v1/surveys/${id}`, headers: auth });
    const quota = await app.inject({
      method: 'POST',
      url: `/api/v1/surveys/${id}/quotas`,
      headers: auth,
      payload: { name: 'total', cells: [{ label: 'everyone', limit: 5 }] },
    });
    expect(quota.statusCode).toBe(201);
    const { id: quotaId, cells } = quota.json().quota as { id: string; cells: { id: string }[] };
    const cellId = cells[0]!.id;
    const changed = await app.inject({
      method: 'PATCH',
      url: `/api/v1/quotas/${quotaId}/cells/${cellId}`,
      headers: auth,
      payload: { limit: 6 },
    });
    expect(changed.statusCode).toBe(200);
    // A route registered inside a plugin's scope gets the trail too.
    const counted = await app.inject({
      method: 'POST',
      url: '/api/v1/segments/count',
      headers: auth,
      payload: { expression: 'all' },
    });
    expect(counted.statusCode).toBe(200);

    // The trail is written once the answer has gone out: wait for the last change's entry.
    const entries = async () =>
      (await ctx.auth.listAudit(100)).filter((e) => e.actor === `apikey:${apiKey.id}`);
    await expect.poll(async () => (await entries()).length).toBe(5);
    const mine = await entries();
    expect(mine.map((e) => [e.action, e.target]).sort()).toEqual([
      ['PATCH /api/v1/quotas/:quotaId/cells/:cellId', `${quotaId}/${cellId}`],
      ['POST /api/v1/segments/count', null],
      ['POST /api/v1/surveys', null],
      ['POST /api/v1/surveys/:id/publish', id],
      ['POST /api/v1/surveys/:id/quotas', id],
    ]);
    expect(JSON.stringify(mine)).not.toContain('Audited');
  });

  it('refuses API calls without credentials', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/users' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('AUTH_REQUIRED');
  });

  it('refuses oversized bodies without a stack', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(10_000) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('BODY_TOO_LARGE');
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
  });

  it('refuses malformed JSON with a clear code', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('BODY_INVALID');
  });
});
