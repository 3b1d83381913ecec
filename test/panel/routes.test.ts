import { readFileSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/index.ts';
import type { Db } from '../../src/db/index.ts';
import { installErrorHandler } from '../../src/http/errors.ts';
import { registerOpenApi } from '../../src/http/openapi.ts';
import { memberRoutes } from '../../src/http/routes/members.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { createPanelService } from '../../src/panel/index.ts';
import { dialects, testDb } from '../helpers/db.ts';
import { anes96Path, bfiPath, readAnes96, readBfi } from './data.ts';

describe.each(dialects())('member routes on %s', (dialect) => {
  let db: Db;
  let app: FastifyInstance;
  const bfi = readBfi().rows;

  beforeAll(async () => {
    db = await testDb(dialect);
    const panel = createPanelService({ db, clock: new TestClock(), ids: sequentialIds() });
    app = Fastify();
    installErrorHandler(app);
    await registerOpenApi(app, 'test');
    // The role comes from a test header, standing in for the authentication plugin.
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      const role = request.headers['x-test-role'];
      if (typeof role === 'string') {
        const id = request.headers['x-test-user'];
        request.principal = {
          kind: 'user',
          id: typeof id === 'string' ? id : 'us_1',
          label: 'tester',
          role: role as Role,
          client: null,
        };
      }
    });
    memberRoutes(app, { panel, importLimit: 1 << 20 });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await db.close();
  });

  const send = (
    role: string | null,
    method: 'GET' | 'POST',
    url: string,
    body?: { type: string; payload: string | Buffer },
  ) =>
    app.inject({
      method,
      url,
      headers: { ...(role ? { 'x-test-role': role } : {}), ...(body ? { 'content-type': body.type } : {}) },
      ...(body ? { payload: body.payload } : {}),
    });
  const csv = (payload: string | Buffer, type = 'text/csv; charset=utf-8') => ({ type, payload });

  it('imports a CSV body upserting by the key, and again without changes', async () => {
    const file = readFileSync(bfiPath);
    const res = await send('researcher', 'POST', '/api/v1/members/import?key=respondent_id', csv(file));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ inserted: 2800, updated: 0, unchanged: 0, rejected: [] });
    const again = await send('admin', 'POST', '/api/v1/members/import?key=respondent_id', csv(file));
    expect(again.json()).toMatchObject({ inserted: 0, updated: 0, unchanged: 2800, rejected: [] });
  });

  it('imports a tab-separated body numbered by line, and lists rejected lines', async () => {
    const anes = readFileSync(anes96Path);
    const res = await send(
      'admin',
      'POST',
      '/api/v1/members/import?key=@line',
      csv(anes, 'text/tab-separated-values'),
    );
    expect(res.json()).toMatchObject({ inserted: 944, rejected: [] });
    const bad = await send(
      'admin',
      'POST',
      '/api/v1/members/import',
      csv('external_id,email\nok1,ok@example.org\nbad1,nope\n'),
    );
    expect(bad.json()).toEqual({
      inserted: 1,
      updated: 0,
      unchanged: 0,
      rejected: [{ line: 3, reason: 'bad email "nope"' }],
      attributes: [],
    });
  });

  it('refuses other roles, other media types, files without a key column and oversized files', async () => {
    const body = csv('external_id\nz1\n');
    expect((await send(null, 'POST', '/api/v1/members/import', body)).statusCode).toBe(401);
    const client = await send('client', 'POST', '/api/v1/members/import', body);
    expect([client.statusCode, client.json().error.code]).toEqual([403, 'ROLE_FORBIDDEN']);
    const json = await send('admin', 'POST', '/api/v1/members/import', {
      type: 'application/json',
      payload: '{"external_id":"z1"}',
    });
    expect([json.statusCode, json.json().error.code]).toEqual([400, 'MEMBERS_IMPORT_MEDIA_TYPE']);
    const nokey = await send('admin', 'POST', '/api/v1/members/import', csv('id,age\n1,2\n'));
    expect([nokey.statusCode, nokey.json().error.code]).toEqual([400, 'MEMBERS_CSV_INVALID']);
    const big = await send(
      'admin',
      'POST',
      '/api/v1/members/import',
      csv(`external_id\n${'y'.repeat(1 << 20)}\n`),
    );
    expect([big.statusCode, big.json().error]).toEqual([
      413,
      { code: 'MEMBERS_IMPORT_TOO_LARGE', message: 'a member file has at most 1 MB; split it' },
    ]);
    // Without a content-length the stream itself is counted.
    const streamed = await app.inject({
      method: 'POST',
      url: '/api/v1/members/import',
      headers: { 'x-test-role': 'admin', 'content-type': 'text/csv' },
      payload: Readable.from([Buffer.from('external_id\n'), Buffer.alloc(1 << 20, 0x79)]),
    });
    expect([streamed.statusCode, streamed.json().error.code]).toEqual([413, 'MEMBERS_IMPORT_TOO_LARGE']);
  });

  it('lists members by search and segment, page by page, and shows one member', async () => {
    const women = bfi
      .filter((r) => r['gender'] === 2 && r['age']! >= 60)
      .map((r) => String(r['respondent_id']))
      .sort();
    const segment = encodeURIComponent('gender = 2 and age >= 60');
    const first = await send('researcher', 'GET', `/api/v1/members?segment=${segment}&limit=5`);
    expect(first.statusCode).toBe(200);
    const page = first.json();
    expect(page.members.map((m: { externalId: string }) => m.externalId)).toEqual(women.slice(0, 5));
    expect(page.next).toBe(women[4]);
    const second = await send(
      'researcher',
      'GET',
      `/api/v1/members?segment=${segment}&limit=5&after=${page.next}`,
    );
    expect(second.json().members.map((m: { externalId: string }) => m.externalId)).toEqual(
      women.slice(5, 10),
    );
    const search = await send('admin', 'GET', '/api/v1/members?q=ok%40EXAMPLE&segment=');
    expect(search.json().members.map((m: { externalId: string }) => m.externalId)).toEqual(['ok1']);

    const one = await send('admin', 'GET', '/api/v1/members/61617');
    expect(one.json().member).toMatchObject({
      externalId: '61617',
      attributes: { A1: 2, gender: 1, age: 16 },
    });
    const none = await send('admin', 'GET', '/api/v1/members/nobody');
    expect([none.statusCode, none.json().error.code]).toEqual([404, 'MEMBER_NOT_FOUND']);
    const badLimit = await send('admin', 'GET', '/api/v1/members?limit=0');
    expect([badLimit.statusCode, badLimit.json().error.code]).toEqual([400, 'REQUEST_INVALID']);
    const attributes = await send('admin', 'GET', '/api/v1/member-attributes');
    // bfi codes gender 1–2 and education 1–5 (its codebook); the bad-email import added no attribute.
    expect(attributes.json().attributes).toContainEqual({
      key: 'gender',
      type: 'number',
      values: [1, 2],
      more: false,
      min: 1,
      max: 2,
    });
    // age comes from both files imported above: bfi's and anes96's (its seventh column).
    const anesAges = readAnes96().rows.map((r) => r[6]!);
    const ages = [...new Set([...bfi.map((r) => r['age']!), ...anesAges])].sort((a, b) => a - b);
    const few = await send('admin', 'GET', '/api/v1/member-attributes?values=3');
    expect(few.json().attributes.find((a: { key: string }) => a.key === 'age')).toEqual({
      key: 'age',
      type: 'number',
      values: ages.slice(0, 3),
      more: true,
      min: ages[0],
      max: ages.at(-1),
    });
    const tooMany = await send('admin', 'GET', '/api/v1/member-attributes?values=101');
    expect([tooMany.statusCode, tooMany.json().error.code]).toEqual([400, 'REQUEST_INVALID']);
    expect((await send('client', 'GET', '/api/v1/member-attributes')).statusCode).toBe(403);
  });

  it('counts every match beside the first page when asked', async () => {
    const segment = encodeURIComponent('gender = 2 and age >= 60');
    const res = await send('researcher', 'GET', `/api/v1/members?segment=${segment}&limit=2&total=1`);
    const women60 = bfi.filter((r) => r['gender'] === 2 && r['age']! >= 60).length;
    expect(res.json()).toMatchObject({ total: women60 });
    expect(res.json().members).toHaveLength(2);
    // bfi's 2,800, anes96's 944 and ok1 from the import with a bad e-mail.
    const all = await send('researcher', 'GET', '/api/v1/members?limit=1&total=true');
    expect(all.json().total).toBe(2800 + 944 + 1);
    const none = await send('researcher', 'GET', '/api/v1/members?limit=1&total=false');
    expect(none.json()).not.toHaveProperty('total');
    const bad = await send('researcher', 'GET', '/api/v1/members?total=maybe');
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'REQUEST_INVALID']);
  });

  it('counts a segment, or answers SEGMENT_INVALID with the column', async () => {
    const count = (expression: unknown) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/segments/count',
        headers: { 'x-test-role': 'researcher' },
        payload: { expression },
      });
    const res = await count('gender = 2 and age >= 40');
    expect(res.json()).toEqual({ count: bfi.filter((r) => r['gender'] === 2 && r['age']! >= 40).length });
    const bad = await count('gender = 2 and age >=');
    expect([bad.statusCode, bad.json()]).toEqual([
      400,
      {
        error: {
          code: 'SEGMENT_INVALID',
          message: "column 22: expected a value after '>='",
          details: { column: 22, message: "expected a value after '>='" },
        },
      },
    ]);
    expect((await count(42)).json().error.code).toBe('REQUEST_INVALID');
    const client = await app.inject({
      method: 'POST',
      url: '/api/v1/segments/count',
      headers: { 'x-test-role': 'client' },
      payload: { expression: 'all' },
    });
    expect(client.statusCode).toBe(403);
  });

  it("reports an import's progress to the one who started it while the body still streams", async () => {
    const token = 'routeProgressToken_0001';
    const body = new PassThrough();
    const header = 'external_id,stage\n';
    const rows = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `p${String(from + i).padStart(5, '0')},first\n`).join('');
    body.write(header);
    body.write(rows(0, 2100));
    const pending = app.inject({
      method: 'POST',
      url: `/api/v1/members/import?progress=${token}`,
      headers: { 'x-test-role': 'researcher', 'content-type': 'text/csv' },
      payload: body,
    });
    const status = (user = 'us_1') =>
      app.inject({
        method: 'GET',
        url: `/api/v1/member-imports/${token}`,
        headers: { 'x-test-role': 'researcher', 'x-test-user': user },
      });
    // The first batch (2,000 records) is written while the rest of the body has not come yet.
    let seen: { state: string; rows: number; inserted: number } | null = null;
    while (seen === null || seen.rows < 2000) {
      const res = await status();
      if (res.statusCode === 200) seen = res.json().import;
      else expect(res.json().error.code).toBe('MEMBERS_IMPORT_NOT_FOUND');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(seen).toMatchObject({ state: 'running', rows: 2000, inserted: 2000, rejected: 0 });
    const stranger = await status('us_2');
    expect([stranger.statusCode, stranger.json().error.code]).toEqual([404, 'MEMBERS_IMPORT_NOT_FOUND']);

    body.end(`${rows(2100, 2500)}p00001,again\n`);
    const res = await pending;
    expect(res.json()).toMatchObject({
      inserted: 2500,
      rejected: [{ line: 2502, reason: 'duplicate key "p00001" (first on line 3)' }],
    });
    const done = (await status()).json().import;
    expect(done).toMatchObject({
      state: 'done',
      rows: 2501,
      inserted: 2500,
      updated: 0,
      unchanged: 0,
      rejected: 1,
      error: null,
    });
    expect(done.bytes).toBe(Buffer.byteLength(`${header}${rows(0, 2500)}p00001,again\n`));
    // The token is spent; a malformed one is refused before anything is read.
    const again = await send(
      'researcher',
      'POST',
      `/api/v1/members/import?progress=${token}`,
      csv('external_id\nq1\n'),
    );
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'MEMBERS_IMPORT_TOKEN_TAKEN']);
    const bad = await send(
      'researcher',
      'POST',
      '/api/v1/members/import?progress=short',
      csv('external_id\nq1\n'),
    );
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'REQUEST_INVALID']);
    expect((await send('client', 'GET', `/api/v1/member-imports/${token}`)).statusCode).toBe(403);
  });
});
