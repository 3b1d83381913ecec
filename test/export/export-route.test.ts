import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.ts';
import { buildApp } from '../../src/http/app.ts';
import { testContext } from '../helpers/context.ts';
import { dialects } from '../helpers/db.ts';
import { lunchSurvey } from '../responses/fixture.ts';

describe.each(dialects())('CSV download on %s', (dialect) => {
  let app: FastifyInstance;
  let ctx: Context & { close: () => Promise<void> };
  let surveyId: string;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    ctx = await testContext(dialect);
    app = await buildApp(ctx);
    const survey = await ctx.surveys.importSurvey({
      source: JSON.stringify(lunchSurvey),
      publish: true,
      client: 'acme',
      actor: 'test',
    });
    surveyId = survey.id;
    await ctx.responses.importCompleted(surveyId, [
      {
        externalRef: 'a',
        data: { age: 40, lunch: 2, satisfaction: 5 },
        completedAt: '2026-02-01T00:00:00.000Z',
      },
      {
        externalRef: 'b',
        data: { age: 22, lunch: 3, lunch_other: '麺, "udon"', satisfaction: 1 },
        completedAt: '2026-02-02T00:00:00.000Z',
      },
    ]);
    const roles = [
      ['researcher', 'researcher', null],
      ['acme', 'client', 'acme'],
      ['globex', 'client', 'globex'],
      ['portal', 'portal', null],
    ] as const;
    for (const [name, role, client] of roles) {
      keys[name] = (await ctx.auth.createApiKey({ name, role, client, actor: 'cli' })).key;
    }
  });
  afterAll(async () => {
    await app.close();
    await ctx.close();
  });

  const download = (who: string | null, query = '', id = surveyId) =>
    app.inject({
      method: 'GET',
      url: `/api/v1/surveys/${id}/export.csv${query}`,
      headers: who ? { authorization: `Bearer ${keys[who]}` } : {},
    });

  const answers = (body: string) =>
    (parse(body, { bom: true, columns: true, record_delimiter: '\r\n' }) as Record<string, string>[]).map(
      (r) => [r['external_ref'], r['age'], r['lunch'], r['lunch_other'], r['satisfaction']],
    );

  it('streams the CSV as an attachment to a researcher', async () => {
    const res = await download('researcher');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${surveyId}.csv"`);
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(answers(res.body)).toEqual([
      ['a', '40', '2', '', '5'],
      ['b', '22', '3', '麺, "udon"', '1'],
    ]);
  });

  it('writes labels with ?labels=1', async () => {
    const res = await download('researcher', '?labels=1');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${surveyId}-labels.csv"`);
    expect(answers(res.body)).toEqual([
      ['a', '40', 'Bread', '', '5'],
      ['b', '22', 'Something else', '麺, "udon"', '1'],
    ]);
  });

  it('lets the survey’s own client download it and hides it from other clients', async () => {
    expect((await download('acme')).statusCode).toBe(200);
    const other = await download('globex');
    expect([other.statusCode, other.json().error.code]).toEqual([404, 'SURVEY_NOT_FOUND']);
  });

  it('refuses the anonymous, portal keys, unknown surveys and bad parameters', async () => {
    const anonymous = await download(null);
    expect([anonymous.statusCode, anonymous.json().error.code]).toEqual([401, 'AUTH_REQUIRED']);
    const portal = await download('portal');
    expect([portal.statusCode, portal.json().error.code]).toEqual([403, 'ROLE_FORBIDDEN']);
    const unknown = await download('researcher', '', 'sv_nothing');
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'SURVEY_NOT_FOUND']);
    const bad = await download('researcher', '?labels=maybe');
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'REQUEST_INVALID']);
  });
});
