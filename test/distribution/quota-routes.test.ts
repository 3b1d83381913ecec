import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { runCli as run } from '../helpers/cli.ts';
import { dialects, throwawayPgUrl } from '../helpers/db.ts';
import { panelCsv, type TestCtx } from './fixture.ts';
import { quotaContext, quotaSurvey, tokensOf } from './quota-fixture.ts';

const genderAge = {
  name: 'Gender × age',
  cells: [
    { label: 'Kanto 40+', memberCondition: "region = 'Kanto' and age >= 40", limit: 2 },
    { label: 'Women', answerCondition: '{gender} = 2', limit: 1 },
  ],
};

describe.each(dialects())('quota routes on %s', (dialect) => {
  let ctx: TestCtx;
  let app: FastifyInstance;
  const keys: Record<string, string> = {};
  let surveyId: string;
  let otherClientSurvey: string;

  beforeAll(async () => {
    ctx = await quotaContext(dialect, panelCsv);
    app = await buildApp(ctx);
    for (const [name, role, client] of [
      ['admin', 'admin', null],
      ['researcher', 'researcher', null],
      ['acme', 'client', 'acme'],
      ['globex', 'client', 'globex'],
    ] as const) {
      keys[name] = (await ctx.auth.createApiKey({ name, role, client, actor: 'test' })).key;
    }
    const source = JSON.stringify(quotaSurvey);
    surveyId = (
      await ctx.surveys.importSurvey({ source, format: 'json', publish: true, client: 'acme', actor: 'test' })
    ).id;
    otherClientSurvey = (
      await ctx.surveys.importSurvey({
        source,
        format: 'json',
        publish: true,
        client: 'globex',
        actor: 'test',
      })
    ).id;
  });
  afterAll(async () => {
    await app.close();
    await ctx.close();
  });

  const call = (
    who: string | null,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
  ) =>
    app.inject({
      method,
      url,
      headers: who ? { authorization: `Bearer ${keys[who]}` } : {},
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });

  it('creates, lists with live counts, re-limits and deletes; clients read their own surveys only', async () => {
    const created = await call('researcher', 'POST', `/api/v1/surveys/${surveyId}/quotas`, genderAge);
    expect(created.statusCode).toBe(201);
    const { quota } = created.json();
    expect(quota).toEqual({
      id: expect.any(String),
      name: 'Gender × age',
      cells: [
        {
          id: expect.any(String),
          label: 'Kanto 40+',
          memberCondition: "region = 'Kanto' and age >= 40",
          answerCondition: null,
          limit: 2,
          count: 0,
          full: false,
        },
        {
          id: expect.any(String),
          label: 'Women',
          memberCondition: null,
          answerCondition: '{gender} = 2',
          limit: 1,
          count: 0,
          full: false,
        },
      ],
    });

    // A complete shows at once: M01 is in Kanto and 41, and answers as a woman.
    const { wave } = await ctx.distribution.createWave({
      surveyId,
      segment: 'all',
      channel: 'portal',
      actor: 'test',
    });
    const token = (await tokensOf(ctx, wave.id)).get('M01')!;
    await ctx.responses.load(token, {});
    await ctx.responses.complete(token, { data: { gender: 2, age: 41, shift: 1 } });

    for (const who of ['admin', 'researcher', 'acme']) {
      const res = await call(who, 'GET', `/api/v1/surveys/${surveyId}/quotas`);
      expect([who, res.statusCode]).toEqual([who, 200]);
      expect(res.json().quotas.map((q: { cells: { count: number; full: boolean }[] }) => q.cells)).toEqual([
        [
          expect.objectContaining({ count: 1, full: false }),
          expect.objectContaining({ count: 1, full: true }),
        ],
      ]);
    }
    const hidden = await call('globex', 'GET', `/api/v1/surveys/${surveyId}/quotas`);
    expect([hidden.statusCode, hidden.json().error.code]).toEqual([404, 'SURVEY_NOT_FOUND']);
    expect((await call('globex', 'GET', `/api/v1/surveys/${otherClientSurvey}/quotas`)).json()).toEqual({
      quotas: [],
    });
    expect((await call(null, 'GET', `/api/v1/surveys/${surveyId}/quotas`)).statusCode).toBe(401);
    for (const [method, url, body] of [
      ['POST', `/api/v1/surveys/${surveyId}/quotas`, genderAge],
      ['PATCH', `/api/v1/quotas/${quota.id}/cells/${quota.cells[1].id}`, { limit: 5 }],
      ['DELETE', `/api/v1/quotas/${quota.id}`, undefined],
    ] as const) {
      const res = await call('acme', method, url, body);
      expect([method, res.statusCode, res.json().error.code]).toEqual([method, 403, 'ROLE_FORBIDDEN']);
    }

    const patched = await call('admin', 'PATCH', `/api/v1/quotas/${quota.id}/cells/${quota.cells[1].id}`, {
      limit: 5,
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toEqual({ cell: { ...quota.cells[1], limit: 5, count: 1, full: false } });

    const inUse = await call('admin', 'DELETE', `/api/v1/quotas/${quota.id}`);
    expect([inUse.statusCode, inUse.json().error.code]).toEqual([409, 'QUOTA_IN_USE']);
    const spare = (
      await call('admin', 'POST', `/api/v1/surveys/${surveyId}/quotas`, { ...genderAge, name: 'Spare' })
    ).json().quota;
    expect((await call('researcher', 'DELETE', `/api/v1/quotas/${spare.id}`)).statusCode).toBe(204);
    const gone = await call('researcher', 'DELETE', `/api/v1/quotas/${spare.id}`);
    expect([gone.statusCode, gone.json().error.code]).toEqual([404, 'QUOTA_NOT_FOUND']);
    expect((await call('admin', 'GET', `/api/v1/surveys/${surveyId}/quotas`)).json().quotas).toHaveLength(1);
  });

  it('refuses bad input with the field, the column or the question named', async () => {
    const url = `/api/v1/surveys/${surveyId}/quotas`;
    const cases: [unknown, number, string, string][] = [
      [
        { name: 'q', cells: [{ label: 'a', memberCondition: "region = 'Kanto' and", limit: 1 }] },
        400,
        'QUOTA_INVALID',
        "cells[0].memberCondition: column 21: expected an attribute name, 'not' or '('",
      ],
      [
        { name: 'q', cells: [{ label: 'a', memberCondition: 'shoe_size > 40', limit: 1 }] },
        400,
        'QUOTA_INVALID',
        'cells[0].memberCondition: column 1: unknown attribute "shoe_size"',
      ],
      [
        { name: 'q', cells: [{ label: 'a', answerCondition: '{gender} = = 2', limit: 1 }] },
        400,
        'QUOTA_INVALID',
        expect.stringMatching(/^cells\[0\]\.answerCondition: syntax error at character \d+/),
      ],
      [
        { name: 'q', cells: [{ label: 'a', answerCondition: '{height} > 180', limit: 1 }] },
        400,
        'QUOTA_INVALID',
        'cells[0].answerCondition: {height} is not a question of this survey',
      ],
      [
        { name: 'q', cells: [{ label: 'a' }] },
        400,
        'QUOTA_INVALID',
        expect.stringMatching(/^cells\[0\]\.limit: /),
      ],
      [[1], 400, 'QUOTA_INVALID', 'quota: Invalid input: expected object, received array'],
    ];
    for (const [body, status, code, message] of cases) {
      const res = await call('researcher', 'POST', url, body);
      expect([body, res.statusCode, res.json().error]).toEqual([
        body,
        status,
        expect.objectContaining({ code, message }),
      ]);
    }
    const column = await call('researcher', 'POST', url, {
      name: 'q',
      cells: [{ label: 'a', memberCondition: 'age >=', limit: 1 }],
    });
    expect(column.json().error.details).toEqual({ field: 'cells[0].memberCondition', column: 7 });
    const missing = await call('researcher', 'POST', '/api/v1/surveys/sv_missing/quotas', genderAge);
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'SURVEY_NOT_FOUND']);

    const { quota } = (await call('researcher', 'POST', url, { ...genderAge, name: 'Limits' })).json();
    const cellUrl = `/api/v1/quotas/${quota.id}/cells/${quota.cells[0].id}`;
    const notNumber = await call('researcher', 'PATCH', cellUrl, { limit: 'ten' });
    expect([notNumber.statusCode, notNumber.json().error.code]).toEqual([400, 'REQUEST_INVALID']);
    const negative = await call('researcher', 'PATCH', cellUrl, { limit: -3 });
    expect([negative.statusCode, negative.json().error.code]).toEqual([400, 'QUOTA_INVALID']);
    const noCell = await call('researcher', 'PATCH', `/api/v1/quotas/${quota.id}/cells/qc_nope`, {
      limit: 3,
    });
    expect([noCell.statusCode, noCell.json().error.code]).toEqual([404, 'QUOTA_CELL_NOT_FOUND']);
    // Nothing of the refused bodies was stored.
    const names = (await call('admin', 'GET', url)).json().quotas.map((q: { name: string }) => q.name);
    expect(names.filter((n: string) => n === 'q')).toEqual([]);
  });
});

describe.each(dialects())('enquete quota commands on %s', (dialect) => {
  let dir: string;
  let drop = async () => {};
  const saved = { ...process.env };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enquete-quota-cli-'));
    process.env['ENQUETE_DATA_DIR'] = dir;
    delete process.env['DATABASE_URL'];
    if (dialect === 'postgres') {
      const pg = await throwawayPgUrl();
      process.env['DATABASE_URL'] = pg.url;
      drop = pg.drop;
    }
  });
  afterEach(async () => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
    await drop();
  });

  it('adds a quota from YAML, lists it with count/limit as text and JSON, and refuses bad files in one line', async () => {
    writeFileSync(join(dir, 'members.csv'), panelCsv);
    expect((await run('members', 'import', join(dir, 'members.csv'))).code).toBe(0);
    writeFileSync(join(dir, 'survey.json'), JSON.stringify(quotaSurvey));
    const imported = await run('survey', 'import', join(dir, 'survey.json'), '--publish');
    expect(imported.code).toBe(0);
    const surveyId = imported.out.trim();

    writeFileSync(
      join(dir, 'quota.yaml'),
      [
        'name: Region × gender',
        'cells:',
        '  - label: Kanto',
        "    memberCondition: region = 'Kanto'",
        '    limit: 50',
        '  - label: Kansai women',
        "    memberCondition: region = 'Kansai'",
        '    answerCondition: "{gender} = 2"',
        '    limit: 20',
        '',
      ].join('\n'),
    );
    const added = await run('quota', 'add', '--survey', surveyId, '--file', join(dir, 'quota.yaml'));
    expect(added.err).toBe('');
    expect(added.code).toBe(0);
    const lines = added.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^qt_\w+ {2}Region × gender$/);
    expect(lines.slice(1).map((l) => l.replace(/qc_\w+/, 'ID'))).toEqual([
      "  ID  Kanto         0/50          members: region = 'Kanto'",
      "  ID  Kansai women  0/20          members: region = 'Kansai'; answers: {gender} = 2",
    ]);

    writeFileSync(
      join(dir, 'total.json'),
      JSON.stringify({ name: 'Total', cells: [{ label: 'All', limit: 0 }] }),
    );
    expect((await run('quota', 'add', '--survey', surveyId, '--file', join(dir, 'total.json'))).code).toBe(0);
    const listed = await run('quota', 'list', '--survey', surveyId);
    expect(listed.out.split('\n').filter((l) => l.includes('All'))).toEqual([
      expect.stringMatching(/^ {2}qc_\w+ {2}All {2}0\/0 full {6}every completion$/),
    ]);
    const json = JSON.parse((await run('quota', 'list', '--survey', surveyId, '--json')).out);
    expect(
      json.quotas.map((q: { name: string; cells: { label: string; count: number; limit: number }[] }) => [
        q.name,
        q.cells.map((c) => `${c.label} ${c.count}/${c.limit}`),
      ]),
    ).toEqual([
      ['Region × gender', ['Kanto 0/50', 'Kansai women 0/20']],
      ['Total', ['All 0/0']],
    ]);

    writeFileSync(
      join(dir, 'bad.yaml'),
      'name: Bad\ncells:\n  - label: x\n    memberCondition: region = \n    limit: 1\n',
    );
    expect(await run('quota', 'add', '--survey', surveyId, '--file', join(dir, 'bad.yaml'))).toEqual({
      code: 2,
      out: '',
      err: "enquete: cells[0].memberCondition: column 9: expected a value after '=' [QUOTA_INVALID]\n",
    });
    writeFileSync(join(dir, 'broken.yaml'), 'name: [unclosed\n');
    const broken = await run('quota', 'add', '--survey', surveyId, '--file', join(dir, 'broken.yaml'));
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/^enquete: .*broken\.yaml: .* \[QUOTA_FILE_INVALID\]\n$/s);
    const unknown = await run('quota', 'list', '--survey', 'sv_nope');
    expect(unknown).toEqual({
      code: 3,
      out: '',
      err: 'enquete: survey sv_nope does not exist [SURVEY_NOT_FOUND]\n',
    });
  });
});
