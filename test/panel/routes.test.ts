import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
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
import { anes96Path, bfiPath, readBfi } from './data.ts';

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
        request.principal = { kind: 'user', id: 'us_1', label: 'tester', role: role as Role, client: null };
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
    expect(attributes.json().attributes).toContainEqual({ key: 'gender', type: 'number' });
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
});
