import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { runCli as run } from '../helpers/cli.ts';
import { dialects, throwawayPgUrl } from '../helpers/db.ts';
import { sharedDataDir } from '../helpers/shared-data.ts';

/** The reference data of the shared datasets, read independently of the demo code. */
const shared = new URL('bfi/', sharedDataDir);
const reference = parse(readFileSync(new URL('bfi.csv', shared)), { columns: true }) as Record<
  string,
  string
>[];
const codeLabels = parse(readFileSync(new URL('bfi-codes.csv', shared)), { columns: true }) as {
  variable: string;
  code: string;
  label: string;
}[];
const variables = Object.keys(reference[0]!).filter((c) => c !== 'respondent_id');

function readExport(file: string): Record<string, string>[] {
  const text = readFileSync(file, 'utf8');
  expect(text.charCodeAt(0)).toBe(0xfeff);
  return parse(text, { bom: true, columns: true, record_delimiter: '\r\n' }) as Record<string, string>[];
}

describe.each(dialects())('enquete demo, then export, on %s', (dialect) => {
  let dir: string;
  let dropPg: (() => Promise<void>) | null = null;
  const saved = { dataDir: process.env['ENQUETE_DATA_DIR'], databaseUrl: process.env['DATABASE_URL'] };
  let surveyId = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enquete-demo-'));
    process.env['ENQUETE_DATA_DIR'] = dir;
    delete process.env['DATABASE_URL'];
    if (dialect === 'postgres') {
      const pg = await throwawayPgUrl();
      process.env['DATABASE_URL'] = pg.url;
      dropPg = pg.drop;
    }
  });
  afterAll(async () => {
    for (const [key, value] of [
      ['ENQUETE_DATA_DIR', saved.dataDir],
      ['DATABASE_URL', saved.databaseUrl],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await dropPg?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the 2,800 respondents and exports them value for value', async () => {
    const demo = await run('demo', '--json');
    expect(demo.code).toBe(0);
    const result = JSON.parse(demo.out) as {
      surveyId: string;
      inserted: number;
      skipped: number;
      rejected: unknown[];
    };
    expect([result.inserted, result.skipped, result.rejected]).toEqual([2800, 0, []]);
    surveyId = result.surveyId;

    const file = join(dir, 'bfi.csv');
    const exported = await run('export', '--survey', surveyId, '--format', 'csv', '--out', file);
    expect(exported.code).toBe(0);
    const rows = readExport(file);
    expect(rows).toHaveLength(2800);
    expect(Object.keys(rows[0]!)).toEqual([
      'response_id',
      'external_ref',
      'member_external_id',
      'status',
      'started_at',
      'completed_at',
      'version',
      ...variables,
    ]);
    const byRef = new Map(rows.map((r) => [r['external_ref'], r]));
    expect(byRef.size).toBe(2800);
    for (const respondent of reference) {
      const row = byRef.get(respondent['respondent_id']);
      expect(row, `respondent ${respondent['respondent_id']}`).toBeDefined();
      expect(row!['status']).toBe('completed');
      expect(row!['member_external_id']).toBe('');
      for (const variable of variables) {
        if (row![variable] !== respondent[variable]) {
          expect(`${respondent['respondent_id']} ${variable}=${row![variable]}`).toBe(
            `${respondent['respondent_id']} ${variable}=${respondent[variable]}`,
          );
        }
      }
    }
  });

  it('writes the value labels of bfi-codes.csv with --labels', async () => {
    const file = join(dir, 'bfi-labels.csv');
    expect(
      (await run('export', '--survey', surveyId, '--format', 'csv', '--labels', '--out', file)).code,
    ).toBe(0);
    const byRef = new Map(readExport(file).map((r) => [r['external_ref'], r]));
    const labelOf = (variable: string, code: string) =>
      code === '' ? '' : codeLabels.find((c) => c.variable === variable && c.code === code)?.label;
    for (const respondent of reference) {
      const row = byRef.get(respondent['respondent_id'])!;
      for (const variable of ['A1', 'O5', 'gender', 'education']) {
        expect(row[variable]).toBe(labelOf(variable, respondent[variable]!));
      }
      expect(row['age']).toBe(respondent['age']);
    }
  });

  it('is idempotent: a second run adds nothing and the export still has 2,800 rows', async () => {
    const again = await run('demo', '--json');
    expect(again.code).toBe(0);
    const result = JSON.parse(again.out) as {
      surveyId: string;
      inserted: number;
      skipped: number;
      created: boolean;
    };
    expect(result).toMatchObject({ surveyId, inserted: 0, skipped: 2800, created: false });
    const file = join(dir, 'bfi-again.csv');
    expect((await run('export', '--survey', surveyId, '--format', 'csv', '--out', file)).code).toBe(0);
    expect(readExport(file)).toHaveLength(2800);
  });

  it('refuses the formats that come later with a clear code, writing no file', async () => {
    let stderr = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    try {
      const code = await main([
        'node',
        'enquete',
        'export',
        '--survey',
        surveyId,
        '--format',
        'sav',
        '--out',
        join(dir, 'x.sav'),
      ]);
      expect(code).toBe(2);
      const unknown = await main([
        'node',
        'enquete',
        'export',
        '--survey',
        'sv_none',
        '--format',
        'csv',
        '--out',
        join(dir, 'none.csv'),
      ]);
      expect(unknown).toBe(3);
    } finally {
      spy.mockRestore();
    }
    expect(stderr).toContain('[EXPORT_FORMAT_UNSUPPORTED]');
    expect(stderr).toContain('[SURVEY_NOT_FOUND]');
    expect(() => readFileSync(join(dir, 'x.sav'))).toThrow();
    expect(() => readFileSync(join(dir, 'none.csv'))).toThrow();
    expect(() => readFileSync(join(dir, 'none.csv.partial'))).toThrow();
  });
});
