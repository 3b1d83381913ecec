import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { dialects } from '../helpers/db.ts';
import {
  completeAnswers,
  distributionContext,
  invitationsByMember,
  kanto,
  panelSurvey,
  startTime,
  type TestCtx,
} from './fixture.ts';

type Role = 'admin' | 'researcher' | 'client' | 'portal';

describe.each(dialects())('distribution routes on %s', (dialect) => {
  let ctx: TestCtx;
  let app: FastifyInstance;
  const keys = {} as Record<Role, string>;
  const keyIds = {} as Record<Role, string>;
  let acme: string;
  let other: string;

  beforeEach(async () => {
    ctx = await distributionContext(dialect);
    app = await buildApp(ctx);
    for (const role of ['admin', 'researcher', 'client', 'portal'] as const) {
      const created = await ctx.auth.createApiKey({
        name: `${role} key`,
        role,
        client: role === 'client' ? 'acme' : null,
        actor: 'test',
      });
      keys[role] = created.key;
      keyIds[role] = created.apiKey.id;
    }
    const survey = async (client: string, title: string) =>
      (
        await ctx.surveys.importSurvey({
          source: JSON.stringify({ ...panelSurvey, title }),
          format: 'json',
          client,
          publish: true,
          actor: 'test',
        })
      ).id;
    acme = await survey('acme', 'Sleep & work');
    other = await survey('other', 'Other client');
  });
  afterEach(async () => {
    await app.close();
    await ctx.close();
  });

  const call = (role: Role | null, method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({
      method,
      url,
      headers: role ? { authorization: `Bearer ${keys[role]}` } : {},
      ...(payload ? { payload } : {}),
    });
  const errorOf = (res: { statusCode: number; json: () => { error: { code: string } } }) => [
    res.statusCode,
    res.json().error.code,
  ];

  it('creates a wave: 201 with the wave and how many were invited, each member once per survey', async () => {
    const res = await call('researcher', 'POST', '/api/v1/waves', {
      surveyId: acme,
      segment: "region = 'Kanto'",
      reminders: '3d,7d',
      deadline: '2026-04-15T00:00:00+09:00',
      name: 'Kanto first',
    });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({ invited: 5, alreadyInvited: 0, withoutEmail: 0 });
    expect(created.wave).toMatchObject({
      surveyId: acme,
      name: 'Kanto first',
      segment: "region = 'Kanto'",
      channel: 'email',
      startAt: startTime,
      deadline: '2026-04-14T15:00:00.000Z',
      reminders: ['3d', '1w'],
      remindersDone: 0,
      status: 'ready',
      invited: 5,
      format: 'text',
      createdBy: `apikey:${keyIds.researcher}`,
    });
    expect([...(await invitationsByMember(ctx, created.wave.id)).keys()].sort()).toEqual(kanto);

    // 10 members, 5 invited already: the portal wave gets the other 5.
    const rest = await call('admin', 'POST', '/api/v1/waves', {
      surveyId: acme,
      segment: 'all',
      channel: 'portal',
      startAt: '2026-04-02T09:00:00+09:00',
    });
    expect(rest.statusCode).toBe(201);
    expect(rest.json()).toMatchObject({
      invited: 5,
      alreadyInvited: 5,
      withoutEmail: 1, // Kansai's M04
      wave: { channel: 'portal', startAt: '2026-04-02T00:00:00.000Z', deadline: null, reminders: [] },
    });
  });

  it('refuses bad waves with a 4xx naming the place, and writes nothing', async () => {
    const draft = await ctx.surveys.importSurvey({
      source: JSON.stringify(panelSurvey),
      format: 'json',
      actor: 'test',
    });
    const post = (body: object) => call('admin', 'POST', '/api/v1/waves', body);

    const missing = await post({ surveyId: acme });
    expect(missing.json().error).toMatchObject({
      code: 'REQUEST_INVALID',
      details: { path: ['body', 'segment'] },
    });
    expect(errorOf(await post({ surveyId: acme, segment: 'all', colour: 'red' }))).toEqual([
      400,
      'REQUEST_INVALID',
    ]);
    expect(errorOf(await post({ surveyId: acme, segment: 'all', channel: 'fax' }))).toEqual([
      400,
      'REQUEST_INVALID',
    ]);
    // 'age >= ' ends at column 8, where a value is missing.
    expect((await post({ surveyId: acme, segment: 'age >= ' })).json().error).toMatchObject({
      code: 'SEGMENT_INVALID',
      message: "column 8: expected a value after '>='",
    });
    const template = await post({ surveyId: acme, segment: 'all', subject: 'Hi {{ member.nam }}' });
    expect(template.statusCode).toBe(400);
    expect(template.json().error).toMatchObject({
      code: 'EMAIL_TEMPLATE_INVALID',
      details: { part: 'subject', line: 1 },
    });
    expect(template.json().error.message).toMatch(/^subject line 1, column \d+: .*member\.nam/);
    const body = await post({ surveyId: acme, segment: 'all', body: 'Dear\n{{ member.attributes.shoe }}' });
    expect(body.json().error).toMatchObject({
      code: 'EMAIL_TEMPLATE_INVALID',
      details: { part: 'body', line: 2 },
    });
    // An e-mail body must link to the unsubscribe page itself, not only through List-Unsubscribe.
    for (const format of ['text', 'html'] as const) {
      const noWayOut = await post({
        surveyId: acme,
        segment: 'all',
        format,
        body: 'Dear {{ member.name }}: {{ link }}',
      });
      expect([noWayOut.statusCode, noWayOut.json().error.code, noWayOut.json().error.details.part]).toEqual([
        400,
        'EMAIL_TEMPLATE_INVALID',
        'body',
      ]);
    }
    expect((await post({ surveyId: acme, segment: 'all', reminders: '3d,2d' })).json().error).toMatchObject({
      code: 'WAVE_INVALID',
      details: { field: 'reminders' },
    });
    expect(
      (await post({ surveyId: acme, segment: 'all', startAt: '2026-04-02' })).json().error,
    ).toMatchObject({
      code: 'WAVE_INVALID',
      details: { field: 'startAt' },
    });
    // 30 February does not exist: 400 naming the field, not a wave due on 2 March.
    const feb30 = await post({ surveyId: acme, segment: 'all', deadline: '2027-02-30T00:00:00Z' });
    expect(feb30.statusCode).toBe(400);
    expect(feb30.json().error).toMatchObject({ code: 'WAVE_INVALID', details: { field: 'deadline' } });
    const nov31 = await post({ surveyId: acme, segment: 'all', startAt: '2026-11-31T00:00:00Z' });
    expect([nov31.statusCode, nov31.json().error.details]).toEqual([400, { field: 'startAt' }]);
    expect(errorOf(await post({ surveyId: draft.id, segment: 'all' }))).toEqual([
      409,
      'WAVE_SURVEY_NOT_PUBLISHED',
    ]);
    expect(errorOf(await post({ surveyId: 'sv_nope', segment: 'all' }))).toEqual([404, 'SURVEY_NOT_FOUND']);
    expect(
      errorOf(await call('client', 'POST', '/api/v1/waves', { surveyId: acme, segment: 'all' })),
    ).toEqual([403, 'ROLE_FORBIDDEN']);
    expect(errorOf(await call(null, 'POST', '/api/v1/waves', { surveyId: acme, segment: 'all' }))).toEqual([
      401,
      'AUTH_REQUIRED',
    ]);
    expect((await call('admin', 'GET', '/api/v1/waves')).json()).toEqual({ waves: [] });
  });

  it('lists, shows and reports waves; a client sees only its own client’s waves', async () => {
    const a = (await ctx.distribution.createWave({ surveyId: acme, segment: "region = 'Kanto'", actor: 't' }))
      .wave;
    ctx.clock.tick(1000);
    const b = (await ctx.distribution.createWave({ surveyId: other, segment: 'all', actor: 't' })).wave;
    const ids = async (role: Role, url: string) =>
      ((await call(role, 'GET', url)).json().waves as { id: string }[]).map((w) => w.id);

    expect(await ids('researcher', '/api/v1/waves')).toEqual([b.id, a.id]);
    expect(await ids('admin', `/api/v1/waves?surveyId=${acme}`)).toEqual([a.id]);
    expect(await ids('client', '/api/v1/waves')).toEqual([a.id]);
    expect(await ids('client', `/api/v1/waves?surveyId=${other}`)).toEqual([]);

    // A client reads neither the segment (it may name members) nor who made the wave.
    const clientView = { ...a, segment: null, createdBy: null };
    expect((await call('client', 'GET', `/api/v1/waves/${a.id}`)).json()).toEqual({ wave: clientView });
    expect((await call('client', 'GET', '/api/v1/waves')).json()).toEqual({ waves: [clientView] });
    expect((await call('researcher', 'GET', `/api/v1/waves/${a.id}`)).json()).toEqual({ wave: a });
    expect(errorOf(await call('client', 'GET', `/api/v1/waves/${b.id}`))).toEqual([404, 'WAVE_NOT_FOUND']);
    expect(errorOf(await call('client', 'GET', `/api/v1/waves/${b.id}/progress`))).toEqual([
      404,
      'WAVE_NOT_FOUND',
    ]);
    expect(errorOf(await call('admin', 'GET', '/api/v1/waves/wv_nope'))).toEqual([404, 'WAVE_NOT_FOUND']);
    expect(errorOf(await call('portal', 'GET', '/api/v1/waves'))).toEqual([403, 'ROLE_FORBIDDEN']);
    expect(errorOf(await call(null, 'GET', `/api/v1/waves/${a.id}`))).toEqual([401, 'AUTH_REQUIRED']);

    // M01 answers through the e-mail link, M02 opens through the portal.
    const inv = await invitationsByMember(ctx, a.id);
    await ctx.responses.load(inv.get('M01')!.token, { channel: 'email' });
    await ctx.responses.complete(inv.get('M01')!.token, { data: completeAnswers });
    await ctx.responses.load(inv.get('M02')!.token, { channel: 'portal' });
    const progress = await call('client', 'GET', `/api/v1/waves/${a.id}/progress`);
    expect(progress.statusCode).toBe(200);
    expect(progress.json()).toMatchObject({
      wave: { id: a.id, segment: null, createdBy: null },
      byStatus: { invited: 3, opened: 1, completed: 1, sent: 0, started: 0, screened_out: 0 },
      byChannel: [
        { channel: 'email', opened: 1, started: 1, completed: 1 },
        { channel: 'portal', opened: 1, started: 0, completed: 0 },
      ],
      optedOut: 0,
      // Events: two opened, one completed (M01 answered in one go: no partial save, no started).
      overTime: [{ date: '2026-04-01', opened: 2, started: 0, completed: 1, sent: 0 }],
    });
  });

  it('pages the outbox newest first and counts it by status, for staff only', async () => {
    const { wave } = await ctx.distribution.createWave({
      surveyId: acme,
      segment: "region = 'Kanto'",
      actor: 't',
    });
    expect(await ctx.distribution.queueDue()).toBe(5);
    const page = async (query: string) => (await call('researcher', 'GET', `/api/v1/outbox?${query}`)).json();

    const first = await page(`waveId=${wave.id}&limit=2`);
    expect(first.messages).toHaveLength(2);
    expect(first.next).toBe(first.messages[1].id);
    const second = await page(`waveId=${wave.id}&limit=2&before=${first.next}`);
    const third = await page(`waveId=${wave.id}&limit=2&before=${second.next}`);
    expect(third.next).toBeNull();
    const all = [...first.messages, ...second.messages, ...third.messages];
    const ids = all.map((m: { id: number }) => m.id);
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    expect(all.map((m: { to: string }) => m.to).sort()).toEqual(
      kanto.map((k) => `${k.toLowerCase()}@example.org`),
    );
    for (const m of all) {
      expect(m).toMatchObject({ waveId: wave.id, kind: 'invitation', status: 'queued', attempts: 0 });
      expect(m.headers['List-Unsubscribe']).toMatch(/^<https:\/\/enquete\.example\/u\/[A-Za-z0-9_-]{24}>$/);
    }
    expect(await page('status=sent')).toEqual({ messages: [], next: null });

    expect((await call('admin', 'GET', `/api/v1/outbox/counts?waveId=${wave.id}`)).json()).toEqual({
      counts: { queued: 5, sending: 0, sent: 0, failed: 0, cancelled: 0, held: 0 },
      sending: false,
    });
    expect((await call('admin', 'GET', '/api/v1/outbox/counts?waveId=wv_none')).json().counts.queued).toBe(0);

    expect((await call('admin', 'GET', '/api/v1/outbox?status=lost')).json().error).toMatchObject({
      code: 'REQUEST_INVALID',
      details: { path: ['query', 'status'] },
    });
    expect(errorOf(await call('admin', 'GET', '/api/v1/outbox?limit=0'))).toEqual([400, 'REQUEST_INVALID']);
    expect(errorOf(await call('admin', 'GET', '/api/v1/outbox?limit=501'))).toEqual([400, 'REQUEST_INVALID']);
    expect(errorOf(await call('client', 'GET', '/api/v1/outbox'))).toEqual([403, 'ROLE_FORBIDDEN']);
    expect(errorOf(await call('client', 'GET', '/api/v1/outbox/counts'))).toEqual([403, 'ROLE_FORBIDDEN']);
    expect(errorOf(await call(null, 'GET', '/api/v1/outbox'))).toEqual([401, 'AUTH_REQUIRED']);
  });

  it('tells the portal what is open for a member: not finished, not opted out, started, not closed', async () => {
    const { wave } = await ctx.distribution.createWave({
      surveyId: acme,
      segment: 'all',
      channel: 'portal',
      deadline: '2026-04-30T00:00:00Z',
      actor: 't',
    });
    // A later wave of another survey, listed only from its start.
    await ctx.distribution.createWave({
      surveyId: other,
      segment: 'all',
      channel: 'portal',
      startAt: '2026-04-03T00:00:00Z',
      actor: 't',
    });
    const inv = await invitationsByMember(ctx, wave.id);
    await ctx.responses.load(inv.get('M01')!.token, { channel: 'portal' });
    await ctx.responses.complete(inv.get('M01')!.token, { data: completeAnswers });
    await ctx.responses.load(inv.get('M03')!.token, { channel: 'portal' });
    await ctx.panel.optOut('M10');
    const audits = async () =>
      Number(
        (
          await ctx.db.kysely
            .selectFrom('audit_log')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await audits();
    const open = async (externalId: string, role: Role = 'portal') => {
      const res = await call(role, 'GET', `/api/v1/portal/members/${externalId}/surveys`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('private, no-store');
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      return res.json().surveys as { surveyId: string; status: string }[];
    };

    expect(await open('M02')).toEqual([
      {
        surveyId: acme,
        title: 'Sleep & work',
        link: `https://enquete.example/s/${inv.get('M02')!.token}?ch=portal`,
        deadline: '2026-04-30T00:00:00.000Z',
        estimatedMinutes: 1,
        status: 'invited',
        invitedAt: startTime,
      },
    ]);
    expect((await open('M03')).map((s) => [s.surveyId, s.status])).toEqual([[acme, 'opened']]);
    expect(await open('M01')).toEqual([]);
    expect(await open('M10')).toEqual([]);
    expect(await open('M99')).toEqual([]);
    expect((await open('M02', 'admin')).map((s) => s.surveyId)).toEqual([acme]);

    ctx.clock.set('2026-04-03T00:00:00Z');
    expect((await open('M02')).map((s) => s.surveyId)).toEqual([other, acme]);
    expect((await open('M01')).map((s) => s.surveyId)).toEqual([other]);
    ctx.clock.set('2026-04-30T00:00:00Z');
    expect((await open('M02')).map((s) => s.surveyId)).toEqual([other]);
    expect(await audits()).toBe(before);

    expect(errorOf(await call('researcher', 'GET', '/api/v1/portal/members/M02/surveys'))).toEqual([
      403,
      'ROLE_FORBIDDEN',
    ]);
    expect(errorOf(await call('client', 'GET', '/api/v1/portal/members/M02/surveys'))).toEqual([
      403,
      'ROLE_FORBIDDEN',
    ]);
    expect(errorOf(await call(null, 'GET', '/api/v1/portal/members/M02/surveys'))).toEqual([
      401,
      'AUTH_REQUIRED',
    ]);
  });

  it('answers the portal only for a portal key or an admin, refusing wrong and revoked keys at once; never a cookie', async () => {
    await ctx.distribution.createWave({ surveyId: acme, segment: 'all', channel: 'portal', actor: 't' });
    const url = '/api/v1/portal/members/M02/surveys';
    const get = (headers: Record<string, string>) => app.inject({ method: 'GET', url, headers });
    const ok = await get({ authorization: `Bearer ${keys.portal}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().surveys.map((s: { surveyId: string }) => s.surveyId)).toEqual([acme]);
    expect(ok.headers['cache-control']).toBe('private, no-store');
    expect(ok.headers['set-cookie']).toBeUndefined();
    // The same answer again comes from the bytes kept for M02: the same text.
    expect((await get({ authorization: `Bearer ${keys.portal}` })).body).toBe(ok.body);

    expect(errorOf(await get({ authorization: `Bearer enq_${'x'.repeat(24)}` }))).toEqual([
      401,
      'APIKEY_INVALID',
    ]);
    expect(errorOf(await get({ authorization: 'Bearer not-our-token' }))).toEqual([401, 'AUTH_REQUIRED']);
    // A signed-in admin (the session cookie) may ask too; the answer sets no cookie.
    await ctx.auth.createUser(
      { email: 'boss@example.org', role: 'admin', password: 'boss-password-1' },
      { actor: 'cli' },
    );
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { email: 'boss@example.org', password: 'boss-password-1' },
    });
    const session = login.cookies.find((c) => c.name === 'enquete_session')!.value;
    const byCookie = await get({ cookie: `enquete_session=${session}` });
    expect([byCookie.statusCode, byCookie.headers['set-cookie']]).toEqual([200, undefined]);
    expect(byCookie.body).toBe(ok.body);
    expect(errorOf(await get({ cookie: 'enquete_session=forged' }))).toEqual([401, 'AUTH_REQUIRED']);
    // A key revoked in this process is refused at once, though it was trusted a moment ago.
    await ctx.auth.revokeApiKey(keyIds.portal, { actor: 'cli' });
    expect(errorOf(await get({ authorization: `Bearer ${keys.portal}` }))).toEqual([401, 'APIKEY_INVALID']);
  });

  it('documents the routes in the OpenAPI document, the unsubscribe pages left out', async () => {
    const doc = (await app.inject({ url: '/api/docs' })).json();
    const create = doc.paths['/api/v1/waves'].post;
    expect(create.tags).toEqual(['distribution']);
    expect(Object.keys(create.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['surveyId', 'segment', 'channel', 'startAt', 'deadline', 'reminders']),
    );
    expect(doc.paths['/api/v1/waves/{id}/progress'].get.tags).toEqual(['distribution']);
    expect(doc.paths['/api/v1/outbox'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'before',
      'limit',
      'status',
      'waveId',
    ]);
    const portal = doc.paths['/api/v1/portal/members/{externalId}/surveys'].get;
    expect(portal.tags).toEqual(['portal']);
    expect(portal.security).toEqual([{ bearer: [] }, { session: [] }]);
    expect(doc.paths['/u/{token}']).toBeUndefined();
  });
});
