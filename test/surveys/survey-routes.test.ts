import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/index.ts';
import type { Db } from '../../src/db/index.ts';
import { installErrorHandler } from '../../src/http/errors.ts';
import { surveyRoutes } from '../../src/http/routes/surveys.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import type { ResponseCounts, ResponseService } from '../../src/responses/index.ts';
import { createSurveyService, type SurveyService } from '../../src/surveys/index.ts';
import { dialects, testDb } from '../helpers/db.ts';

const people: Record<string, Principal> = {
  admin: { kind: 'user', id: 'us_admin', label: 'admin@example.org', role: 'admin', client: null },
  researcher: { kind: 'user', id: 'us_res', label: 'res@example.org', role: 'researcher', client: null },
  acme: { kind: 'user', id: 'us_acme', label: 'a@acme.example', role: 'client', client: 'acme' },
  beta: { kind: 'apikey', id: 'ak_beta', label: 'beta script', role: 'client', client: 'beta' },
  portal: { kind: 'apikey', id: 'ak_portal', label: 'portal', role: 'portal', client: null },
};

const definition = (title: string) =>
  JSON.stringify({ title, pages: [{ elements: [{ type: 'rating', name: 'score', rateMax: 10 }] }] });

/** Only the counts are read by these routes; the rest of the port is not reached. */
function fakeResponses(counts: Map<string, ResponseCounts>): ResponseService {
  const unused = () => Promise.reject(new Error('not used by the survey routes'));
  return {
    openLink: unused,
    load: unused,
    savePartial: unused,
    complete: unused,
    importCompleted: unused,
    exportCsvStream: unused,
    exportCsv: unused,
    counts: async (id) => counts.get(id) ?? { in_progress: 0, completed: 0, screened_out: 0 },
    countsBySurvey: async () => counts,
  };
}

describe.each(dialects())('survey routes on %s', (dialect) => {
  let db: Db;
  let app: FastifyInstance;
  let surveys: SurveyService;
  const counts = new Map<string, ResponseCounts>();

  beforeEach(async () => {
    db = await testDb(dialect);
    surveys = createSurveyService({
      db,
      clock: new TestClock('2026-04-01T00:00:00.000Z'),
      ids: sequentialIds(),
    });
    app = Fastify();
    installErrorHandler(app);
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      const who = request.headers['x-test-as'];
      request.principal = typeof who === 'string' ? (people[who] ?? null) : null;
    });
    surveyRoutes(app, { surveys, responses: fakeResponses(counts) });
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await db.close();
    counts.clear();
  });

  const call = (as: string | null, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object) =>
    app.inject({ method, url, ...(payload ? { payload } : {}), headers: as ? { 'x-test-as': as } : {} });

  it('lets a researcher import, publish and read a survey with its counts', async () => {
    const created = await call('researcher', 'POST', '/api/v1/surveys', {
      source: definition('NPS'),
      client: 'acme',
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().survey.id as string;
    expect(created.json().survey).toMatchObject({ id, title: 'NPS', client: 'acme', currentVersion: null });

    const published = await call('researcher', 'POST', `/api/v1/surveys/${id}/publish`);
    expect(published.statusCode).toBe(200);
    expect(published.json()).toEqual({
      version: { version: 1, publishedAt: '2026-04-01T00:00:00.000Z', publishedBy: 'user:us_res' },
    });

    counts.set(id, { in_progress: 2, completed: 5, screened_out: 1 });
    const read = await call('acme', 'GET', `/api/v1/surveys/${id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json().survey).toMatchObject({
      id,
      currentVersion: 1,
      counts: { in_progress: 2, completed: 5, screened_out: 1 },
    });
    const list = await call('admin', 'GET', '/api/v1/surveys');
    expect(
      list.json().surveys.map((s: { id: string; counts: ResponseCounts }) => [s.id, s.counts.completed]),
    ).toEqual([[id, 5]]);

    const version = await call('acme', 'GET', `/api/v1/surveys/${id}/versions/1`);
    expect(version.statusCode).toBe(200);
    expect(version.json()).toMatchObject({
      version: 1,
      publishedAt: '2026-04-01T00:00:00.000Z',
      document: { screenOut: [], timezone: 'UTC' },
      codebook: { columns: [{ name: 'score' }] },
    });
  });

  it('refuses a client another client’s survey (404) and scopes the list', async () => {
    const mine = await surveys.importSurvey({ source: definition('Mine'), client: 'acme', actor: 'cli' });
    const theirs = await surveys.importSurvey({ source: definition('Theirs'), client: 'beta', actor: 'cli' });
    const other = await call('acme', 'GET', `/api/v1/surveys/${theirs.id}`);
    expect(other.statusCode).toBe(404);
    expect(other.json()).toEqual({
      error: { code: 'SURVEY_NOT_FOUND', message: `survey ${theirs.id} does not exist` },
    });
    expect((await call('acme', 'GET', `/api/v1/surveys/${theirs.id}/versions/1`)).statusCode).toBe(404);
    expect((await call('acme', 'GET', `/api/v1/surveys/${mine.id}`)).statusCode).toBe(200);
    const list = await call('beta', 'GET', '/api/v1/surveys');
    expect(list.json().surveys.map((s: { title: string }) => s.title)).toEqual(['Theirs']);
  });

  it('rejects a bad definition with its place (400)', async () => {
    const source = JSON.stringify({
      title: 'Bad',
      pages: [{ elements: [{ type: 'text', name: 'a' }] }, { elements: [{ type: 'text', name: 'a' }] }],
    });
    const response = await call('researcher', 'POST', '/api/v1/surveys', { source });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.error.code).toBe('SURVEY_DEFINITION_INVALID');
    expect(body.error.details.errors[0]).toEqual({
      place: 'pages[1].elements[0].name',
      message: 'duplicate name "a" (first at pages[0].elements[0])',
    });
    const yaml = await call('admin', 'POST', '/api/v1/surveys', { source: 'title: [', format: 'yaml' });
    expect(yaml.statusCode).toBe(400);
    expect(yaml.json().error.details.errors[0].place).toMatch(/^line \d+, column \d+$/);
    const shape = await call('admin', 'POST', '/api/v1/surveys', { source: 7 });
    expect([shape.statusCode, shape.json().error.code]).toEqual([400, 'REQUEST_INVALID']);
  });

  it('lets a researcher publish and a client not', async () => {
    const survey = await surveys.importSurvey({ source: definition('S'), client: 'acme', actor: 'cli' });
    const refused = await call('acme', 'POST', `/api/v1/surveys/${survey.id}/publish`);
    expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'ROLE_FORBIDDEN']);
    expect((await surveys.get(survey.id)).currentVersion).toBeNull();
    expect((await call(null, 'POST', `/api/v1/surveys/${survey.id}/publish`)).statusCode).toBe(401);
    expect((await call('portal', 'GET', '/api/v1/surveys')).statusCode).toBe(403);
    const done = await call('researcher', 'POST', `/api/v1/surveys/${survey.id}/publish`);
    expect([done.statusCode, done.json().version.version]).toEqual([200, 1]);
    const writes = [
      call('acme', 'POST', '/api/v1/surveys', { source: definition('x') }),
      call('acme', 'PUT', `/api/v1/surveys/${survey.id}/draft`, { source: definition('y') }),
      call('acme', 'PATCH', `/api/v1/surveys/${survey.id}`, { openLink: true }),
      call('acme', 'POST', '/api/v1/surveys/check', { source: definition('z') }),
    ];
    for (const response of await Promise.all(writes)) expect(response.statusCode).toBe(403);
  });

  it('checks a source without storing it, and edits draft and settings', async () => {
    const check = await call('researcher', 'POST', '/api/v1/surveys/check', {
      source: 'title: Y\nelements:\n  - type: boolean\n    name: ok\n',
    });
    expect(check.json()).toMatchObject({
      ok: true,
      errors: [],
      surveyjs: { title: 'Y', elements: [{ type: 'boolean', name: 'ok' }] },
      codebook: { columns: [{ name: 'ok' }] },
    });
    const bad = await call('researcher', 'POST', '/api/v1/surveys/check', { source: '{"title": "x"}' });
    expect(bad.json()).toEqual({
      ok: false,
      errors: [{ place: 'pages', message: 'a survey needs at least one page with elements' }],
    });
    expect(await surveys.list()).toEqual([]);

    const survey = await surveys.importSurvey({ source: definition('Old'), actor: 'cli' });
    const draft = await call('researcher', 'PUT', `/api/v1/surveys/${survey.id}/draft`, {
      source: definition('New'),
    });
    expect([draft.statusCode, draft.json().survey.title]).toEqual([200, 'New']);
    const settings = await call('admin', 'PATCH', `/api/v1/surveys/${survey.id}`, {
      openLink: true,
      client: 'beta',
    });
    expect(settings.json().survey).toMatchObject({ openLink: true, closed: false, client: 'beta' });
    const unknownKey = await call('admin', 'PATCH', `/api/v1/surveys/${survey.id}`, { title: 'x' });
    expect(unknownKey.statusCode).toBe(400);
    expect((await call('admin', 'GET', '/api/v1/surveys/sv_nope')).statusCode).toBe(404);
    expect((await call('admin', 'GET', `/api/v1/surveys/${survey.id}/versions/0`)).statusCode).toBe(400);
    expect((await call('admin', 'GET', `/api/v1/surveys/${survey.id}/versions/4`)).json().error.code).toBe(
      'SURVEY_VERSION_NOT_FOUND',
    );
  });
});
