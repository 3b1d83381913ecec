import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
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

const engine = 'https://engine.example/run?study=42&rid={token}';
const title = 'Sleep <b>&</b> "work"';
type Outcome = 'complete' | 'screenout' | 'quotafull';

/** The signature as docs/external-engines.md defines it, computed here independently. */
const sign = (secret: string, token: string, outcome: Outcome) =>
  createHmac('sha256', secret).update(`${token}.${outcome}`).digest('base64url');

describe.each(dialects())('external survey engines on %s', (dialect) => {
  let ctx: TestCtx;
  let app: FastifyInstance;
  let surveyId: string;
  let waveId: string;
  let secret: string;
  let adminKey: string;

  beforeEach(async () => {
    ctx = await distributionContext(dialect);
    app = await buildApp(ctx);
    surveyId = await publishedSurvey(ctx, { ...panelSurvey, title });
    const created = await ctx.distribution.createWave({
      surveyId,
      segment: "region = 'Kanto'",
      deadline: '2026-04-10T00:00:00Z',
      externalUrl: engine,
      actor: 'test',
    });
    waveId = created.wave.id;
    secret = created.returnLinks!.secret;
    adminKey = (await ctx.auth.createApiKey({ name: 'admin', role: 'admin', actor: 'test' })).key;
  });
  afterEach(async () => {
    await app.close();
    await ctx.close();
  });

  const invitation = async (externalId: string, wave = waveId) =>
    (await invitationsByMember(ctx, wave)).get(externalId)!;
  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers });
  const returnUrl = (token: string, outcome: Outcome, sig: string | null) =>
    `/r/${token}/${outcome}${sig === null ? '' : `?sig=${encodeURIComponent(sig)}`}`;
  /** Every invitation of the wave and every event: what a refused link must leave as it was. */
  const snapshot = async () => ({
    invitations: await ctx.db.kysely.selectFrom('invitations').selectAll().orderBy('id').execute(),
    events: await ctx.db.kysely.selectFrom('distribution_events').selectAll().orderBy('id').execute(),
  });

  it('hands the signing key and the return URL templates to the creator once; lists never show the key', async () => {
    const other = await ctx.distribution.createWave({
      surveyId: await publishedSurvey(ctx, { ...panelSurvey, title: 'Other' }),
      segment: 'all',
      externalUrl: 'http://engine.example/{token}',
      actor: 'test',
    });
    const links = other.returnLinks!;
    expect(links).toEqual({
      waveId: other.wave.id,
      externalUrl: 'http://engine.example/{token}',
      secret: links.secret,
      complete: 'https://enquete.example/r/{token}/complete?sig={sig}',
      screenout: 'https://enquete.example/r/{token}/screenout?sig={sig}',
      quotafull: 'https://enquete.example/r/{token}/quotafull?sig={sig}',
    });
    // Two 144-bit tokens: 48 base64url characters; each wave has its own.
    expect(secret).toMatch(/^[A-Za-z0-9_-]{48}$/);
    expect(links.secret).not.toBe(secret);
    expect(await ctx.distribution.returnLinks(waveId)).toMatchObject({ waveId, externalUrl: engine, secret });

    const wave = await ctx.distribution.getWave(waveId);
    expect(wave.externalUrl).toBe(engine);
    const shown = JSON.stringify([
      wave,
      await ctx.distribution.listWaves(),
      await ctx.distribution.progress(waveId),
      (await get(`/api/v1/waves/${waveId}`, { authorization: `Bearer ${adminKey}` })).json(),
      (await get('/api/v1/waves', { authorization: `Bearer ${adminKey}` })).json(),
    ]);
    expect(shown).toContain('engine.example');
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain(links.secret);

    // Admins may look again (audited); nobody else.
    const res = await get(`/api/v1/waves/${waveId}/return-links`, { authorization: `Bearer ${adminKey}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json().returnLinks).toMatchObject({ waveId, secret });
    const audit = await ctx.auth.listAudit(10);
    expect(audit.filter((a) => a.action === 'wave.return_links.view').map((a) => a.target)).toEqual([waveId]);
    const researcher = (await ctx.auth.createApiKey({ name: 'r', role: 'researcher', actor: 'test' })).key;
    const refused = await get(`/api/v1/waves/${waveId}/return-links`, {
      authorization: `Bearer ${researcher}`,
    });
    expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'ROLE_FORBIDDEN']);
    expect((await get(`/api/v1/waves/${waveId}/return-links`)).statusCode).toBe(401);
  });

  it('message and portal links lead to the engine with the token; the first visit records opened with its channel', async () => {
    expect(await ctx.distribution.queueDue()).toBe(5);
    const { messages } = await ctx.distribution.outbox({ waveId });
    const m01 = await invitation('M01');
    const message = messages.find((m) => m.invitationId === m01.id)!;
    const link = `https://enquete.example/s/${m01.token}?ch=email`;
    expect(message.text).toContain(link);

    const first = await get(link.slice('https://enquete.example'.length));
    expect(first.statusCode).toBe(302);
    expect(first.headers.location).toBe(`https://engine.example/run?study=42&rid=${m01.token}`);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.headers['referrer-policy']).toBe('no-referrer');
    const again = await get(`/s/${m01.token}?ch=portal`);
    expect(again.headers.location).toBe(first.headers.location);
    expect(await invitation('M01')).toMatchObject({ status: 'opened', opened_channel: 'email' });
    expect(await eventsOf(ctx, m01.id)).toEqual(['invited/email', 'opened/email']);

    // A portal wave of the same engine: the portal's link goes the same way, recorded as portal.
    const portalWave = await ctx.distribution.createWave({
      surveyId: await publishedSurvey(ctx, { ...panelSurvey, title: 'Portal one' }),
      segment: "region = 'Kansai'",
      channel: 'portal',
      externalUrl: 'https://engine.example/p/{token}/start',
      actor: 'test',
    });
    const m06 = await invitation('M06', portalWave.wave.id);
    const listed = await ctx.distribution.portalSurveys('M06');
    expect(listed.map((s) => s.link)).toEqual([`https://enquete.example/s/${m06.token}?ch=portal`]);
    const viaPortal = await get(`/s/${m06.token}?ch=portal`);
    expect([viaPortal.statusCode, viaPortal.headers.location]).toEqual([
      302,
      `https://engine.example/p/${m06.token}/start`,
    ]);
    expect(await eventsOf(ctx, m06.id)).toEqual(['invited/portal', 'opened/portal']);
  });

  it('the token goes into the engine URL encoded, and the hub never renders an external survey itself', async () => {
    const { externalLink } = await import('../../src/distribution/return-links.ts');
    expect(externalLink('https://e.example/x?rid={token}&x=1', 'a b/c&d')).toBe(
      'https://e.example/x?rid=a%20b%2Fc%26d&x=1',
    );
    const m02 = await invitation('M02');
    const api = await get(`/api/v1/respond/${m02.token}`);
    expect([api.statusCode, api.json().error.code]).toEqual([409, 'INVITATION_NOT_OPEN']);
    expect(api.json().error.message).toContain('hosted on another site');
    // Past the deadline the link is no longer sent on; the respondent page says why.
    ctx.clock.set('2026-04-10T00:00:00Z');
    expect((await get(`/s/${m02.token}?ch=email`)).statusCode).not.toBe(302);
    const late = await get(`/api/v1/respond/${m02.token}?ch=email`);
    expect(late.json().error.message).toContain('the deadline has passed');
    expect(await eventsOf(ctx, m02.id)).toEqual(['invited/email']);
    expect(await ctx.db.kysely.selectFrom('responses').selectAll().execute()).toEqual([]);
  });

  it('a correctly signed complete link records completed with its event and shows the thank-you page', async () => {
    const m01 = await invitation('M01');
    await get(`/s/${m01.token}?ch=email`);
    ctx.clock.set('2026-04-03T12:00:00.000Z');
    const res = await get(returnUrl(m01.token, 'complete', sign(secret, m01.token, 'complete')));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).toContain('<h1>Thank you</h1>');
    expect(res.body).toContain('Sleep &lt;b&gt;&amp;&lt;/b&gt; &quot;work&quot;');
    expect(res.body).not.toContain('<b>');
    const row = await ctx.db.kysely
      .selectFrom('invitations')
      .select(['status', 'finished_at'])
      .where('id', '=', m01.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'completed', finished_at: '2026-04-03T12:00:00.000Z' });
    expect(await eventsOf(ctx, m01.id)).toEqual(['invited/email', 'opened/email', 'completed/email']);
    expect((await ctx.distribution.progress(waveId)).byStatus).toMatchObject({ invited: 4, completed: 1 });
    // Back at the invitation link, the member sees the outcome instead of the engine again.
    const back = await get(`/s/${m01.token}?ch=email`);
    expect(back.statusCode).toBe(200);
    expect(back.body).toContain('<h1>Thank you</h1>');
  });

  it('screen-out and quota-full links record their outcome and page', async () => {
    const m02 = await invitation('M02');
    const m03 = await invitation('M03');
    const out = await get(returnUrl(m02.token, 'screenout', sign(secret, m02.token, 'screenout')));
    expect(out.statusCode).toBe(200);
    expect(out.body).toContain('looking for other participants');
    const full = await get(returnUrl(m03.token, 'quotafull', sign(secret, m03.token, 'quotafull')));
    expect(full.statusCode).toBe(200);
    expect(full.body).toContain('has all the answers it needs');
    expect(await eventsOf(ctx, m02.id)).toEqual(['invited/email', 'screened_out/email']);
    expect(await eventsOf(ctx, m03.id)).toEqual(['invited/email', 'quota_full/email']);
    expect((await invitation('M02')).status).toBe('screened_out');
    expect((await invitation('M03')).status).toBe('quota_full');
  });

  it('refuses forged return links with 403 and changes nothing', async () => {
    const m01 = await invitation('M01');
    await get(`/s/${m01.token}?ch=email`);
    const good = sign(secret, m01.token, 'complete');
    const otherWave = await ctx.distribution.createWave({
      surveyId: await publishedSurvey(ctx, { ...panelSurvey, title: 'Other engine' }),
      segment: 'all',
      externalUrl: engine,
      actor: 'test',
    });
    const otherSecret = otherWave.returnLinks!.secret;
    const m04 = await invitation('M04', otherWave.wave.id);
    const hex = createHmac('sha256', secret).update(`${m01.token}.complete`).digest('hex');
    const flipped = (good[0] === 'A' ? 'B' : 'A') + good.slice(1);
    const forged: [string, string | null][] = [
      ['changed signature', flipped],
      ['changed last character', good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A')],
      ['signature of another outcome', sign(secret, m01.token, 'screenout')],
      ["signature with another wave's secret", sign(otherSecret, m01.token, 'complete')],
      ["signature of another member's token", sign(secret, (await invitation('M02')).token, 'complete')],
      ['the same HMAC in hex', hex],
      ['padded', `${good}=`],
      ['empty signature', ''],
      ['missing signature', null],
    ];
    const before = await snapshot();
    for (const [what, sig] of forged) {
      const res = await get(returnUrl(m01.token, 'complete', sig));
      expect([what, res.statusCode, res.json().error.code]).toEqual([what, 403, 'RETURN_SIGNATURE_INVALID']);
    }
    // The other wave's own link signed with this wave's key is refused too.
    const cross = await get(returnUrl(m04.token, 'complete', sign(secret, m04.token, 'complete')));
    expect(cross.statusCode).toBe(403);
    // A browser gets a page, still a 403.
    const page = await get(returnUrl(m01.token, 'complete', flipped), { accept: 'text/html,*/*' });
    expect([page.statusCode, page.headers['content-type']]).toEqual([403, 'text/html; charset=utf-8']);
    expect(page.body).toContain('This link is not valid');
    expect(await snapshot()).toEqual(before);
    expect((await invitation('M01')).status).toBe('opened');
  });

  it('refuses a replay and any second outcome with 409 and changes nothing', async () => {
    const m01 = await invitation('M01');
    const complete = returnUrl(m01.token, 'complete', sign(secret, m01.token, 'complete'));
    expect((await get(complete)).statusCode).toBe(200);
    const before = await snapshot();
    const replay = await get(complete);
    expect([replay.statusCode, replay.json().error]).toEqual([
      409,
      {
        code: 'RETURN_ALREADY_RECORDED',
        message: 'an outcome is already recorded for this invitation (completed)',
        details: { status: 'completed' },
      },
    ]);
    const screenout = await get(returnUrl(m01.token, 'screenout', sign(secret, m01.token, 'screenout')));
    expect([screenout.statusCode, screenout.json().error.code]).toEqual([409, 'RETURN_ALREADY_RECORDED']);
    const quotafull = await get(returnUrl(m01.token, 'quotafull', sign(secret, m01.token, 'quotafull')));
    expect(quotafull.statusCode).toBe(409);
    const page = await get(complete, { accept: 'text/html' });
    expect([page.statusCode, page.body.includes('Your answer is already recorded')]).toEqual([409, true]);
    expect(await snapshot()).toEqual(before);
    expect(await eventsOf(ctx, m01.id)).toEqual(['invited/email', 'completed/email']);
  });

  it('of simultaneous returns of one invitation, exactly one is recorded', async () => {
    const m05 = await invitation('M05');
    const outcomes: Outcome[] = ['complete', 'screenout', 'complete', 'quotafull', 'complete', 'screenout'];
    const results = await Promise.all(
      outcomes.map((o) => get(returnUrl(m05.token, o, sign(secret, m05.token, o)))),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    const events = await eventsOf(ctx, m05.id);
    expect(events).toHaveLength(2);
    expect(events[0]).toBe('invited/email');
  });

  it('refuses return links of unknown tokens and of waves the hub renders itself', async () => {
    const internal = await ctx.distribution.createWave({
      surveyId: await publishedSurvey(ctx, { ...panelSurvey, title: 'Rendered here' }),
      segment: 'all',
      actor: 'test',
    });
    expect(internal.returnLinks).toBeNull();
    expect(internal.wave.externalUrl).toBeNull();
    const m01 = await invitation('M01', internal.wave.id);
    const before = await snapshot();
    for (const sig of [sign(secret, m01.token, 'complete'), '', null]) {
      const res = await get(returnUrl(m01.token, 'complete', sig));
      expect([res.statusCode, res.json().error.code]).toEqual([404, 'RETURN_NOT_EXTERNAL']);
    }
    await expect(ctx.distribution.returnLinks(internal.wave.id)).rejects.toMatchObject({
      code: 'RETURN_NOT_EXTERNAL',
    });
    const links = await get(`/api/v1/waves/${internal.wave.id}/return-links`, {
      authorization: `Bearer ${adminKey}`,
    });
    expect(links.statusCode).toBe(404);
    const unknown = await get(
      returnUrl('no-such-token', 'complete', sign(secret, 'no-such-token', 'complete')),
    );
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'INVITATION_UNKNOWN']);
    const badOutcome = await get(`/r/${m01.token}/done?sig=x`);
    expect([badOutcome.statusCode, badOutcome.json().error.code]).toEqual([400, 'REQUEST_INVALID']);
    // The hub's own wave still renders its page at /s/:token (no redirect, nothing recorded).
    expect((await get(`/s/${m01.token}?ch=email`)).statusCode).not.toBe(302);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an invalid engine URL at creation, naming the field, and writes nothing', async () => {
    const bad = [
      'https://engine.example/run',
      'https://engine.example/{token}/{token}',
      'javascript:alert(document.cookie)//{token}',
      'JavaScript://engine.example/{token}',
      'data:text/html,{token}',
      'ftp://engine.example/{token}',
      '//engine.example/{token}',
      '/s/{token}',
      'https://{token}.engine.example/',
      'https://user@{token}/x',
      'https://engine.example/ {token}',
      'https:///{token}',
      '',
      `https://engine.example/${'x'.repeat(2000)}{token}`,
    ];
    const wavesBefore = (await ctx.distribution.listWaves()).length;
    for (const externalUrl of bad) {
      const error = await ctx.distribution
        .createWave({ surveyId, segment: 'all', externalUrl, actor: 'test' })
        .then(
          () => null,
          (e: { code?: string; message?: string; details?: unknown }) => e,
        );
      expect([externalUrl, error?.code, error?.details]).toEqual([
        externalUrl,
        'WAVE_INVALID',
        { field: 'externalUrl' },
      ]);
      expect(error?.message).toMatch(/^externalUrl: /);
    }
    expect((await ctx.distribution.listWaves()).length).toBe(wavesBefore);

    // Through the API as well; a good one answers with its return links.
    const post = (externalUrl: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/waves',
        headers: { authorization: `Bearer ${adminKey}` },
        payload: { surveyId, segment: "region = 'Kansai'", externalUrl },
      });
    const refused = await post('javascript:alert(1)//{token}');
    expect([refused.statusCode, refused.json().error.code, refused.json().error.details]).toEqual([
      400,
      'WAVE_INVALID',
      { field: 'externalUrl' },
    ]);
    const made = await post('https://engine.example/k?rid={token}');
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({
      invited: 5,
      wave: { externalUrl: 'https://engine.example/k?rid={token}' },
      returnLinks: { complete: 'https://enquete.example/r/{token}/complete?sig={sig}' },
    });
    expect(new Set([...(await invitationsByMember(ctx, made.json().wave.id)).keys()])).toEqual(
      new Set(['M04', 'M06', 'M07', 'M09', 'M10']),
    );
  });

  it("the documentation's openssl one-liner makes a signature the hub accepts", async () => {
    const m08 = await invitation('M08');
    const sig = execFileSync(
      'sh',
      [
        '-c',
        `printf '%s' "$TOKEN.complete" | openssl dgst -sha256 -hmac "$SECRET" -binary | openssl base64 -A | tr '+/' '-_' | tr -d '='`,
      ],
      { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', TOKEN: m08.token, SECRET: secret } },
    ).toString();
    expect(sig).toBe(sign(secret, m08.token, 'complete'));
    expect((await get(returnUrl(m08.token, 'complete', sig))).statusCode).toBe(200);
  });
});
