import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { dialects } from '../helpers/db.ts';
import {
  distributionContext,
  eventsOf,
  invitationsByMember,
  panelSurvey,
  publishedSurvey,
  type TestCtx,
} from './fixture.ts';

const form = 'application/x-www-form-urlencoded';

describe.each(dialects())('the unsubscribe link on %s', (dialect) => {
  let ctx: TestCtx;
  let app: FastifyInstance;
  let surveyId: string;
  let invitation: (externalId: string) => Promise<{ id: number; token: string }>;

  beforeEach(async () => {
    ctx = await distributionContext(dialect);
    app = await buildApp(ctx);
    surveyId = await publishedSurvey(ctx);
    const { wave } = await ctx.distribution.createWave({ surveyId, segment: 'all', actor: 'test' });
    invitation = async (externalId) => (await invitationsByMember(ctx, wave.id)).get(externalId)!;
  });
  afterEach(async () => {
    await app.close();
    await ctx.close();
  });

  const optedOut = async (externalId: string) => (await ctx.panel.getMember(externalId)).optedOutAt;

  it('asks first with a button, escaping the member’s name, then opts out from the form, once', async () => {
    const { id, token } = await invitation('M07');
    const page = await app.inject({ url: `/u/${token}` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-robots-tag']).toBe('noindex');
    expect(page.headers['content-security-policy']).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'$/,
    );
    // M07 is named `<b>Goto</b> & Co` in the panel file.
    expect(page.body).toContain('to &lt;b&gt;Goto&lt;/b&gt; &amp; Co (m•••@example.org).');
    expect(page.body).not.toContain('<b>');
    expect(page.body).not.toContain('<script');
    expect(page.body).toContain(
      `<form method="post" action="/u/${token}"><input type="hidden" name="confirm" value="1">`,
    );
    // Looking at the page changes nothing.
    expect(await optedOut('M07')).toBeNull();

    const done = await app.inject({
      method: 'POST',
      url: `/u/${token}`,
      headers: { 'content-type': form },
      payload: 'confirm=1',
    });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('<h1>You are unsubscribed</h1>');
    expect(done.body).toContain('&lt;b&gt;Goto&lt;/b&gt; &amp; Co (m•••@example.org) will get no more');
    expect(await optedOut('M07')).toBe('2026-04-01T00:00:00.000Z');

    ctx.clock.tick(60_000);
    const again = await app.inject({
      method: 'POST',
      url: `/u/${token}`,
      headers: { 'content-type': form },
      payload: 'confirm=1',
    });
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('You are unsubscribed');
    const later = await app.inject({ url: `/u/${token}` });
    expect(later.body).toContain('<h1>You are unsubscribed</h1>');
    expect(later.body).not.toContain('<form');
    expect(await optedOut('M07')).toBe('2026-04-01T00:00:00.000Z');
    expect(await eventsOf(ctx, id)).toEqual(['invited/email', 'opted_out/page']);
  });

  it('takes the RFC 8058 one-click POST (urlencoded or multipart) with 200 and no body; a new wave leaves them out', async () => {
    const m03 = await invitation('M03');
    const oneClick = await app.inject({
      method: 'POST',
      url: `/u/${m03.token}`,
      headers: { 'content-type': form },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect([oneClick.statusCode, oneClick.body]).toEqual([200, '']);
    const repeat = await app.inject({
      method: 'POST',
      url: `/u/${m03.token}`,
      headers: { 'content-type': form },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect([repeat.statusCode, repeat.body]).toEqual([200, '']);
    expect(await eventsOf(ctx, m03.id)).toEqual(['invited/email', 'opted_out/one-click']);

    const m05 = await invitation('M05');
    const boundary = '----enquete42';
    const multipart = await app.inject({
      method: 'POST',
      url: `/u/${m05.token}`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`,
    });
    expect([multipart.statusCode, multipart.body]).toEqual([200, '']);
    expect(await eventsOf(ctx, m05.id)).toEqual(['invited/email', 'opted_out/one-click']);

    // A signed-in console user clicking it from a mail client is not refused as cross-site.
    await ctx.auth.ensureAdmin('unsubscribe-test-admin-pw');
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { email: 'admin@localhost', password: 'unsubscribe-test-admin-pw' },
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const m08 = await invitation('M08');
    const withCookie = await app.inject({
      method: 'POST',
      url: `/u/${m08.token}`,
      headers: { 'content-type': form, cookie, origin: 'https://mail.example' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect([withCookie.statusCode, withCookie.body]).toEqual([200, '']);

    for (const m of ['M03', 'M05', 'M08']) expect(await optedOut(m)).toBe('2026-04-01T00:00:00.000Z');
    const other = await publishedSurvey(ctx, { ...panelSurvey, title: 'Next one' });
    const next = await ctx.distribution.createWave({ surveyId: other, segment: 'all', actor: 'test' });
    // 10 members, 3 opted out.
    expect(next.invited).toBe(7);
    expect([...(await invitationsByMember(ctx, next.wave.id)).keys()].sort()).toEqual([
      'M01',
      'M02',
      'M04',
      'M06',
      'M07',
      'M09',
      'M10',
    ]);
  });

  it('answers an unknown token with a 404 page (or an empty 404 to one-click)', async () => {
    const page = await app.inject({ url: '/u/AAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<h1>This link is not valid</h1>');
    const post = await app.inject({
      method: 'POST',
      url: '/u/AAAAAAAAAAAAAAAAAAAAAAAA',
      headers: { 'content-type': form },
      payload: 'confirm=1',
    });
    expect([post.statusCode, post.body.includes('This link is not valid')]).toEqual([404, true]);
    const oneClick = await app.inject({
      method: 'POST',
      url: `/u/${'x'.repeat(60)}`,
      headers: { 'content-type': form },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect([oneClick.statusCode, oneClick.body]).toEqual([404, '']);
    // The escaped page never echoes the token it did not know.
    const odd = await app.inject({ url: `/u/${encodeURIComponent('<script>x</script>')}` });
    expect([odd.statusCode, odd.body.includes('<script')]).toEqual([404, false]);
  });
});
