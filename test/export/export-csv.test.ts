import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import type { CsvExportInput } from '../../src/responses/index.ts';
import { dialects, testDb } from '../helpers/db.ts';
import { lunchSurvey, publishedSurvey, type Services, services } from '../responses/fixture.ts';

/** A survey whose answers are awkward to write as CSV, with a question named like a fixed column. */
const feedback = {
  title: 'Feedback',
  screenOut: [{ expression: '{lunch} = 3', html: '<p>No lunch, no survey.</p>' }],
  pages: [
    {
      elements: [
        { type: 'comment', name: 'remarks' },
        {
          type: 'radiogroup',
          name: 'lunch',
          choices: [
            { value: 1, text: 'Rice, white' },
            { value: 2, text: 'Bread "fresh"' },
            { value: 3, text: 'Nothing' },
          ],
        },
        {
          type: 'checkbox',
          name: 'drinks',
          showOtherItem: true,
          choices: [
            { value: 'tea', text: 'お茶' },
            { value: 'coffee', text: 'Coffee' },
          ],
        },
        { type: 'boolean', name: 'again', labelTrue: 'Yes', labelFalse: 'No' },
        { type: 'text', name: 'status' },
      ],
    },
  ],
};

const awkward = 'commas, "quotes"\r\nand a new line\n日本語のテキスト、「引用」';

async function exportText(s: Services, input: CsvExportInput): Promise<{ text: string; rows: number }> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const { rows } = await s.responses.exportCsv(input, sink);
  return { text: Buffer.concat(chunks).toString('utf8'), rows };
}

function records(text: string): string[][] {
  return parse(text, { bom: true, record_delimiter: '\r\n', relax_column_count: false });
}

describe.each(dialects())('CSV export on %s', (dialect) => {
  let db: Db;
  let s: Services;
  let surveyId: string;
  const ids: string[] = [];

  beforeEach(async () => {
    db = await testDb(dialect);
    s = services(db);
    surveyId = await publishedSurvey(s, feedback);
    ids.length = 0;
    const answers = [
      {
        remarks: awkward,
        lunch: 2,
        drinks: ['tea', 'other'],
        'drinks-Comment': 'water, cold',
        again: true,
        status: 'single',
      },
      { lunch: 1 },
      { lunch: 3, remarks: 'screened' },
    ];
    for (const data of answers) {
      const token = await s.responses.openLink(surveyId, {});
      s.clock.tick(60_000);
      ids.push((await s.responses.complete(token, { data })).responseId);
    }
    const unfinished = await s.responses.openLink(surveyId, {});
    await s.responses.savePartial(unfinished, { data: { remarks: 'half' }, page: 0 });
  });
  afterEach(() => db.close());

  const header = [
    'response_id',
    'external_ref',
    'member_external_id',
    'status',
    'started_at',
    'completed_at',
    'version',
    'remarks',
    'lunch',
    'drinks__tea',
    'drinks__coffee',
    'drinks__other',
    'again',
    'status_q',
  ];

  it('writes a BOM, CRLF records and RFC 4180 quoting that an independent parser reads back', async () => {
    const { text, rows } = await exportText(s, { surveyId });
    expect(text.startsWith('\uFEFFresponse_id,external_ref,member_external_id,status,')).toBe(true);
    expect(Buffer.from(text, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text).toContain('"commas, ""quotes""\r\nand a new line\n日本語のテキスト、「引用」"');
    expect(rows).toBe(3);
    expect(records(text)).toEqual([
      header,
      [
        ids[0],
        '',
        '',
        'completed',
        '2026-03-02T09:00:00.000Z',
        '2026-03-02T09:01:00.000Z',
        '1',
        awkward,
        '2',
        '1',
        '0',
        'water, cold',
        '1',
        'single',
      ],
      [
        ids[1],
        '',
        '',
        'completed',
        '2026-03-02T09:01:00.000Z',
        '2026-03-02T09:02:00.000Z',
        '1',
        '',
        '1',
        '',
        '',
        '',
        '',
        '',
      ],
      [
        ids[2],
        '',
        '',
        'screened_out',
        '2026-03-02T09:02:00.000Z',
        '2026-03-02T09:03:00.000Z',
        '1',
        'screened',
        '3',
        '',
        '',
        '',
        '',
        '',
      ],
    ]);
  });

  it('writes labels instead of codes where the column has them', async () => {
    const { text } = await exportText(s, { surveyId, labels: true });
    const [head, first, second] = records(text);
    expect(head).toEqual(header);
    expect(first?.slice(7)).toEqual([awkward, 'Bread "fresh"', '1', '0', 'water, cold', 'Yes', 'single']);
    expect(second?.slice(7)).toEqual(['', 'Rice, white', '', '', '', '', '']);
  });

  it('leaves unfinished responses out unless asked', async () => {
    const { text, rows } = await exportText(s, { surveyId, includeInProgress: true });
    expect(rows).toBe(4);
    const last = records(text)[4]!;
    expect([last[3], last[5], last[7]]).toEqual(['in_progress', '', 'half']);
  });

  it('refuses an unknown survey before writing anything', async () => {
    await expect(s.responses.exportCsvStream({ surveyId: 'sv_nope' })).rejects.toMatchObject({
      code: 'SURVEY_NOT_FOUND',
    });
  });
});

describe.each(dialects())('CSV export paging on %s', (dialect) => {
  let db: Db;
  afterEach(() => db.close());

  it('streams every response once, in id order, across pages', async () => {
    db = await testDb(dialect);
    const s = services(db);
    const surveyId = await publishedSurvey(s, lunchSurvey);
    const rows = Array.from({ length: 1234 }, (_, i) => ({
      externalRef: `ext-${i}`,
      data: { age: 18 + (i % 60), lunch: (i % 2) + 1, satisfaction: (i % 5) + 1 },
      completedAt: '2026-01-05T10:00:00.000Z',
    }));
    expect((await s.responses.importCompleted(surveyId, rows)).inserted).toBe(1234);
    const { text, rows: count } = await exportText(s, { surveyId });
    const [head, ...body] = records(text);
    expect(count).toBe(1234);
    expect(head).toEqual([
      'response_id',
      'external_ref',
      'member_external_id',
      'status',
      'started_at',
      'completed_at',
      'version',
      'age',
      'lunch',
      'lunch_other',
      'satisfaction',
      'remarks',
    ]);
    const stored = await db.kysely.selectFrom('responses').select('id').orderBy('id').execute();
    expect(body.map((r) => r[0])).toEqual(stored.map((r) => r.id));
    const byRef = new Map(body.map((r) => [r[1], r]));
    for (const [i, row] of rows.entries()) {
      expect(byRef.get(`ext-${i}`)?.slice(7)).toEqual([
        String(row.data.age),
        String(row.data.lunch),
        '',
        String(row.data.satisfaction),
        '',
      ]);
    }
  });
});

/** Free text, a phone number, a signed number, codes and labels that all look like formulas. */
const formulas = {
  title: 'Formulas',
  pages: [
    {
      elements: [
        { type: 'comment', name: 'note' },
        { type: 'text', name: 'phone' },
        { type: 'text', name: 'change', inputType: 'number', min: -10, max: 10 },
        {
          type: 'radiogroup',
          name: 'mood',
          showOtherItem: true,
          choices: [
            { value: -1, text: "Don't know" },
            { value: '-x', text: '=HYPERLINK("http://evil","label")' },
            { value: 1, text: 'Fine' },
          ],
        },
      ],
    },
  ],
};

describe.each(dialects())('CSV export against formula injection on %s', (dialect) => {
  let db: Db;
  let s: Services;
  let surveyId: string;
  const payload = '=HYPERLINK("http://evil","x")';
  const answers: Record<string, unknown>[] = [
    { note: payload, phone: '+1 555 0100', change: -5, mood: -1 },
    { note: '@SUM(A1)', phone: "'quoted already", change: -1, mood: '-x' },
    { note: 'plain, "text"', phone: '-', mood: 'other', 'mood-Comment': '\tcmd' },
  ];
  beforeEach(async () => {
    db = await testDb(dialect);
    s = services(db);
    surveyId = await publishedSurvey(s, formulas);
    for (const data of answers) {
      const token = await s.responses.openLink(surveyId, {});
      s.clock.tick(60_000);
      await s.responses.complete(token, { data });
    }
  });
  afterEach(() => db.close());

  it('puts a quote before free text that starts a formula, never before numbers or codes', async () => {
    const [head, ...body] = records((await exportText(s, { surveyId })).text);
    expect(head?.slice(-5)).toEqual(['note', 'phone', 'change', 'mood', 'mood__other']);
    expect(body.map((r) => r.slice(-5))).toEqual([
      [`'${payload}`, "'+1 555 0100", '-5', '-1', ''],
      ["'@SUM(A1)", "''quoted already", '-1', '-x', ''],
      ['plain, "text"', "'-", '', 'other', "'\tcmd"],
    ]);
  });

  it('puts a quote before labels that start a formula', async () => {
    const [, ...body] = records((await exportText(s, { surveyId, labels: true })).text);
    expect(body.map((r) => r.slice(-5))).toEqual([
      [`'${payload}`, "'+1 555 0100", '-5', "Don't know", ''],
      ["'@SUM(A1)", "''quoted already", '-1', `'=HYPERLINK("http://evil","label")`, ''],
      ['plain, "text"', "'-", '', 'Other', "'\tcmd"],
    ]);
  });

  it('round-trips: one leading quote off each text cell gives back the stored answers', async () => {
    const [head, ...body] = records((await exportText(s, { surveyId })).text);
    const at = (name: string) => head!.indexOf(name);
    const text = (cell: string) => (cell.startsWith("'") ? cell.slice(1) : cell);
    const read = body.map((r) => {
      const out: Record<string, unknown> = { note: text(r[at('note')]!), phone: text(r[at('phone')]!) };
      if (r[at('change')] !== '') out['change'] = Number(r[at('change')]);
      const mood = r[at('mood')]!;
      out['mood'] = /^-?\d+$/.test(mood) ? Number(mood) : mood;
      if (r[at('mood__other')] !== '') out['mood-Comment'] = text(r[at('mood__other')]!);
      return out;
    });
    expect(read).toEqual(answers);
    const stored = await db.kysely.selectFrom('responses').select('data').orderBy('started_at').execute();
    expect(stored.map((r) => JSON.parse(r.data))).toEqual(answers);
  });
});
