import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CsvExportInput, createResponseService } from '../../src/responses/index.ts';
import {
  completeAnswers,
  distributionContext,
  invitationsByMember,
  publishedSurvey,
  type TestCtx,
} from '../distribution/fixture.ts';
import { dialects } from '../helpers/db.ts';

async function exported(ctx: TestCtx, input: CsvExportInput): Promise<Record<string, string>[]> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  await ctx.responses.exportCsv(input, sink);
  return parse(Buffer.concat(chunks), { bom: true, columns: true, record_delimiter: '\r\n' });
}

describe.each(dialects())('CSV export of invited members on %s', (dialect) => {
  let ctx: TestCtx;
  let surveyId: string;
  let tokens: Map<string, string>;

  beforeEach(async () => {
    ctx = await distributionContext(dialect);
    surveyId = await publishedSurvey(ctx);
    const wave = await ctx.distribution.createWave({ surveyId, segment: "region = 'Kanto'", actor: 'test' });
    tokens = new Map(
      [...(await invitationsByMember(ctx, wave.wave.id))].map(([externalId, i]) => [externalId, i.token]),
    );
    const step = () => ctx.clock.tick(60_000);
    // Kanto is M01, M02, M03, M05, M08 (fixture). M08 is never touched.
    await ctx.responses.complete(tokens.get('M01')!, { data: completeAnswers });
    step();
    await ctx.responses.complete(tokens.get('M02')!, { data: { ...completeAnswers, age: 16 } });
    step();
    // A completion that its quota cell turns away (the hook decides, as a full quota does).
    const full = createResponseService({
      ...ctx,
      invitations: { ...ctx.distribution.gate, onComplete: async () => 'quota_full' },
    });
    await full.complete(tokens.get('M03')!, { data: completeAnswers });
    step();
    await ctx.responses.savePartial(tokens.get('M05')!, { data: { age: 50 }, page: 0 });
    step();
    await ctx.surveys.updateSettings(surveyId, { openLink: true, actor: 'test' });
    const open = await ctx.responses.openLink(surveyId, {});
    await ctx.responses.complete(open, { data: completeAnswers });
  });
  afterEach(() => ctx.close());

  const view = (rows: Record<string, string>[]) =>
    rows.map((r) => [r['external_ref'], r['member_external_id'], r['status'], r['age']]);

  it('names the member of each invitation, after external_ref, and exports quota_full responses', async () => {
    const rows = await exported(ctx, { surveyId });
    expect(Object.keys(rows[0]!)).toEqual([
      'response_id',
      'external_ref',
      'member_external_id',
      'status',
      'started_at',
      'completed_at',
      'version',
      'age',
      'shift',
      'sleep',
    ]);
    expect(view(rows)).toEqual([
      ['', 'M01', 'completed', '40'],
      ['', 'M02', 'screened_out', '16'],
      ['', 'M03', 'quota_full', '40'],
      ['', '', 'completed', '40'],
    ]);
    const stored = await ctx.db.kysely
      .selectFrom('responses')
      .select(['id', 'status'])
      .where('status', '=', 'quota_full')
      .execute();
    expect(rows[2]!['response_id']).toBe(stored[0]!.id);
  });

  it('with unfinished responses, those of invited members are named too', async () => {
    const rows = await exported(ctx, { surveyId, includeInProgress: true });
    expect(view(rows)).toEqual([
      ['', 'M01', 'completed', '40'],
      ['', 'M02', 'screened_out', '16'],
      ['', 'M03', 'quota_full', '40'],
      ['', 'M05', 'in_progress', '50'],
      ['', '', 'completed', '40'],
    ]);
  });

  it('the gate looks up many tokens at once and leaves other tokens out', async () => {
    const open = await ctx.db.kysely
      .selectFrom('responses')
      .select('token')
      .where('channel', '=', 'open')
      .executeTakeFirstOrThrow();
    const ids = await ctx.distribution.gate.memberExternalIds(ctx.db.kysely, [
      tokens.get('M01')!,
      tokens.get('M08')!,
      open.token,
      'no-such-token',
    ]);
    expect(ids).toEqual(
      new Map([
        [tokens.get('M01')!, 'M01'],
        [tokens.get('M08')!, 'M08'],
      ]),
    );
    expect(await ctx.distribution.gate.memberExternalIds(ctx.db.kysely, [])).toEqual(new Map());
  });
});
