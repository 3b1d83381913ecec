import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.ts';
import { buildApp } from '../../src/http/app.ts';
import { openLinkErrorPage } from '../../src/http/routes/open-link-page.ts';
import { EnqueteError } from '../../src/kernel/index.ts';
import { testContext } from '../helpers/context.ts';
import { dialects } from '../helpers/db.ts';
import { lunchSurvey } from './fixture.ts';

const adult = { age: 34, lunch: 1, satisfaction: 4 };

describe.each(dialects())('respondent routes on %s', (dialect) => {
  let app: FastifyInstance;
  let ctx: Context & { close: () => Promise<void> };
  let surveyId: string;
  let noLinkId: string;

  beforeAll(async () => {
    ctx = await testContext(dialect);
    app = await buildApp(ctx);
    const make = async (title: string, openLink: boolean) => {
      const survey = await ctx.surveys.importSurvey({
        source: JSON.stringify({ ...lunchSurvey, title }),
        publish: true,
        actor: 'test',
      });
      await ctx.surveys.updateSettings(survey.id, { openLink, actor: 'test' });
      return survey.id;
    };
    surveyId = await make('Lunch survey', true);
    noLinkId = await make('No open link', false);
  });
  afterAll(async () => {
    await app.close();
    await ctx.close();
  });

  async function open(cookie?: string, query = ''): Promise<{ token: string; setCookie: string }> {
    const res = await app.inject({
      method: 'GET',
      url: `/o/${surveyId}${query}`,
      headers: cookie ? { cookie } : {},
    });
    expect(res.statusCode).toBe(302);
    const location = String(res.headers.location);
    expect(location).toMatch(/^\/s\/[A-Za-z0-9_-]+$/);
    return { token: decodeURIComponent(location.slice(3)), setCookie: String(res.headers['set-cookie']) };
  }

  const rowsOf = async (token: string) =>
    ctx.db.kysely.selectFrom('responses').select('id').where('token', '=', token).execute();
  const save = (token: string) =>
    app.inject({ method: 'PUT', url: `/api/v1/respond/${token}`, payload: { data: {}, page: 0 } });
  const channelOf = async (token: string) =>
    (
      await ctx.db.kysely
        .selectFrom('responses')
        .select('channel')
        .where('token', '=', token)
        .executeTakeFirstOrThrow()
    ).channel;

  it('gives an open-link visitor a personal token in an httpOnly cookie and redirects to the page', async () => {
    const { token, setCookie } = await open();
    expect(setCookie).toContain(`enquete_open_${surveyId}=${token}`);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/);
    // The visit and the page's first load store nothing; the first save writes the response.
    expect((await app.inject({ method: 'GET', url: `/api/v1/respond/${token}` })).statusCode).toBe(200);
    expect(await rowsOf(token)).toEqual([]);
    expect((await save(token)).statusCode).toBe(200);
    expect(await channelOf(token)).toBe('open');
  });

  it('cookieless visits (link previewers, crawlers) store no response, however many', async () => {
    const before = await ctx.responses.counts(surveyId);
    const tokens = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { token } = await open();
      tokens.add(token);
      expect((await app.inject({ method: 'GET', url: `/s/${token}` })).statusCode).not.toBe(500);
      expect((await app.inject({ method: 'GET', url: `/api/v1/respond/${token}` })).statusCode).toBe(200);
    }
    expect(tokens.size).toBe(20);
    for (const token of tokens) expect(await rowsOf(token)).toEqual([]);
    expect(await ctx.responses.counts(surveyId)).toEqual(before);
  });

  it('resumes in another browser with the same link, before and after the first save', async () => {
    const { token } = await open();
    // Another browser has no cookie; the link alone is enough.
    const elsewhere = await app.inject({ method: 'GET', url: `/api/v1/respond/${token}` });
    expect(elsewhere.json()).toMatchObject({ data: {}, page: 0, status: 'in_progress' });
    await app.inject({
      method: 'PUT',
      url: `/api/v1/respond/${token}`,
      payload: { data: { age: 41 }, page: 1 },
    });
    const later = await app.inject({ method: 'GET', url: `/api/v1/respond/${token}` });
    expect(later.json()).toMatchObject({ data: { age: 41 }, page: 1, status: 'in_progress' });
  });

  it('resumes with the cookie, and replaces a cookie token that no longer loads', async () => {
    const first = await open();
    const again = await open(`enquete_open_${surveyId}=${first.token}`);
    expect(again.token).toBe(first.token);
    const stale = await open(`enquete_open_${surveyId}=gone-token`);
    expect(stale.token).not.toBe(first.token);
    expect(stale.token).not.toBe('gone-token');
    expect(stale.setCookie).toContain(`enquete_open_${surveyId}=${stale.token}`);
  });

  it('records the channel of the open link', async () => {
    const { token } = await open(undefined, '?ch=newsletter');
    await save(token);
    expect(await channelOf(token)).toBe('newsletter');
  });

  it('answers a closed open link, an unknown survey and a bad id with clear errors', async () => {
    const closed = await app.inject({ method: 'GET', url: `/o/${noLinkId}` });
    expect([closed.statusCode, closed.json().error.code]).toEqual([409, 'SURVEY_NOT_OPEN']);
    const unknown = await app.inject({ method: 'GET', url: '/o/sv_nothing' });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'SURVEY_NOT_FOUND']);
    const bad = await app.inject({ method: 'GET', url: '/o/a%3Bb' });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'REQUEST_INVALID']);
  });

  it('answers a browser the same refusals as a small self-contained page, API clients as JSON', async () => {
    const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    const cases = [
      [`/o/${noLinkId}`, 409, 'This survey is not open', 'open link is off'],
      ['/o/sv_nothing', 404, 'This survey link is not valid', 'survey sv_nothing does not exist'],
      ['/o/a%3Bb', 400, 'This survey link is not valid', 'not a survey id'],
      [`/o/${'x'.repeat(300)}`, 400, 'This survey link is not valid', 'not a survey id'],
    ] as const;
    for (const [url, status, heading, reason] of cases) {
      const res = await app.inject({ method: 'GET', url, headers: browser });
      expect([url, res.statusCode]).toEqual([url, status]);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-robots-tag']).toBe('noindex');
      expect(res.body).toMatch(/^<!doctype html>/);
      expect(res.body).toContain(`<h1>${heading}</h1>`);
      expect(res.body).toContain(reason);
      expect(res.body).not.toContain('"error"');
      expect(res.body).not.toMatch(/<script|<link|<img|src=/i);
      // The one style block is what the policy allows, by its hash; nothing else loads.
      const css = /<style>([^<]*)<\/style>/.exec(res.body)?.[1] ?? '';
      const hash = createHash('sha256').update(css).digest('base64');
      expect(res.headers['content-security-policy']).toContain(`default-src 'none'`);
      expect(res.headers['content-security-policy']).toContain(`style-src 'sha256-${hash}'`);
      const api = await app.inject({ method: 'GET', url, headers: { accept: 'application/json' } });
      expect(api.statusCode).toBe(status);
      expect(api.headers['content-type']).toMatch(/^application\/json/);
      const anything = await app.inject({ method: 'GET', url, headers: { accept: '*/*' } });
      expect(anything.json().error.code).toBe(api.json().error.code);
    }
    // A browser on a working link is still sent on to the survey.
    const ok = await app.inject({ method: 'GET', url: `/o/${surveyId}`, headers: browser });
    expect(ok.statusCode).toBe(302);
  });

  it('escapes everything the refusal page shows', () => {
    const page = openLinkErrorPage(
      new EnqueteError('SURVEY_NOT_OPEN', 'conflict', `survey <b onclick="x">&'</b> is closed`),
    );
    expect(page).toContain('survey &lt;b onclick=&quot;x&quot;&gt;&amp;&#39;&lt;/b&gt; is closed');
    expect(page).not.toMatch(/<b[ >]|onclick="/);
    expect(openLinkErrorPage(new EnqueteError('ELSE', 'invalid', 'x'))).toContain(
      '<h1>This survey link is not valid</h1>',
    );
  });

  it('loads the definition and saved answers; an unknown token is 404', async () => {
    const { token } = await open();
    const res = await app.inject({ method: 'GET', url: `/api/v1/respond/${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['data', 'page', 'screenOut', 'status', 'surveyjs', 'title']);
    expect(body).toMatchObject({ title: 'Lunch survey', data: {}, page: 0, status: 'in_progress' });
    expect(body.screenOut).toEqual(lunchSurvey.screenOut);
    expect(body.surveyjs.pages).toHaveLength(2);
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/respond/nope' });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'RESPONSE_TOKEN_UNKNOWN']);
  });

  it('records ?ch= on the first open of a token that has no channel yet', async () => {
    const { token } = await open();
    await save(token);
    // As the distribution hub will issue them: a token without an entry channel.
    await ctx.db.kysely.updateTable('responses').set({ channel: null }).where('token', '=', token).execute();
    await app.inject({ method: 'GET', url: `/api/v1/respond/${token}?ch=email` });
    await app.inject({ method: 'GET', url: `/api/v1/respond/${token}?ch=portal` });
    expect(await channelOf(token)).toBe('email');
    const bad = await app.inject({ method: 'GET', url: `/api/v1/respond/${token}?ch=${'x'.repeat(40)}` });
    expect(bad.statusCode).toBe(400);
  });

  it('saves partials, refuses bad bodies and bad values, completes once', async () => {
    const { token } = await open();
    const url = `/api/v1/respond/${token}`;
    const put = (payload: unknown) => app.inject({ method: 'PUT', url, payload: payload as object });
    const saved = await put({ data: { age: 34, lunch: 1, lunch_other: 'dropped' }, page: 1 });
    expect([saved.statusCode, saved.json()]).toEqual([200, { saved: true }]);
    expect((await app.inject({ method: 'GET', url })).json()).toMatchObject({
      data: { age: 34, lunch: 1 },
      page: 1,
    });

    for (const bad of [{ data: [], page: 0 }, { data: {}, page: -1 }, { data: {}, page: 1.5 }, { page: 0 }]) {
      const res = await put(bad);
      expect([res.statusCode, res.json().error.code]).toEqual([400, 'REQUEST_INVALID']);
    }
    const invalid = await put({ data: { lunch: 9 }, page: 0 });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error).toMatchObject({
      code: 'RESPONSE_INVALID',
      details: { issues: [{ question: 'lunch', code: 'NOT_A_CHOICE' }] },
    });

    const complete = (data: unknown) =>
      app.inject({ method: 'POST', url: `${url}/complete`, payload: { data } as object });
    const missing = await complete({ age: 34 });
    expect([missing.statusCode, missing.json().error.code]).toEqual([400, 'RESPONSE_INVALID']);
    const done = await complete(adult);
    expect([done.statusCode, done.json()]).toEqual([
      200,
      { status: 'completed', html: null, repeated: false },
    ]);
    const repeat = await complete(adult);
    expect(repeat.json()).toEqual({ status: 'completed', html: null, repeated: true });
    const late = await put({ data: { age: 35 }, page: 0 });
    expect([late.statusCode, late.json().error.code]).toEqual([409, 'RESPONSE_CLOSED']);
  });

  it('ends a screened-out respondent with the rule’s page', async () => {
    const { token } = await open();
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/respond/${token}/complete`,
      payload: { data: { age: 15 } },
    });
    expect(res.json()).toEqual({
      status: 'screened_out',
      html: '<p>Thank you: this survey is for adults.</p>',
      repeated: false,
    });
  });
});
