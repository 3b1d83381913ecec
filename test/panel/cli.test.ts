import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli as run } from '../helpers/cli.ts';
import { anes96Path, bfiPath, readBfi } from './data.ts';

describe('enquete members commands', () => {
  let dir: string;
  const saved = { ...process.env };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'enquete-members-cli-'));
    process.env['ENQUETE_DATA_DIR'] = dir;
    delete process.env['DATABASE_URL'];
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports bfi by --key, counts segments, and re-imports without changes', async () => {
    const bfi = fileURLToPath(bfiPath);
    const first = await run('members', 'import', bfi, '--key', 'respondent_id');
    expect(first.code).toBe(0);
    const lines = first.out.trim().split('\n');
    expect(lines[0]).toMatch(/^inserted 2800, updated 0, unchanged 0, rejected 0 \(\d+\.\d s\)$/);
    expect(lines[1]).toMatch(/^attributes: A1 \(number\), A2 \(number\), .*, age \(number\)$/);
    const again = await run('members', 'import', bfi, '--key', 'respondent_id', '--json');
    expect(JSON.parse(again.out)).toMatchObject({ inserted: 0, updated: 0, unchanged: 2800, rejected: [] });

    expect((await run('members', 'count', 'gender = 1')).out).toBe('919\n');
    const women40 = readBfi().rows.filter((r) => r['gender'] === 2 && r['age']! >= 40).length;
    const json = await run('members', 'count', 'gender = 2 and age >= 40', '--json');
    expect(JSON.parse(json.out)).toEqual({ segment: 'gender = 2 and age >= 40', count: women40 });

    const bad = await run('members', 'count', 'gender = 2 and age >=');
    expect(bad).toEqual({
      code: 2,
      out: '',
      err: "enquete: column 22: expected a value after '>=' [SEGMENT_INVALID]\n",
    });
  });

  it('imports anes96 numbered by line, and lists rejected lines, capped', async () => {
    const anes = await run('members', 'import', fileURLToPath(anes96Path), '--key', '@line', '--json');
    expect(JSON.parse(anes.out)).toMatchObject({ inserted: 944, rejected: [] });
    const file = join(dir, 'bad.csv');
    const rows = Array.from({ length: 25 }, (_, i) => `b${i},not-an-email-${i}`);
    writeFileSync(file, `external_id,email\ngood,good@example.org\n${rows.join('\n')}\n`);
    const res = await run('members', 'import', file);
    expect(res.code).toBe(0);
    const lines = res.out.trim().split('\n');
    expect(lines[0]).toMatch(/^inserted 1, updated 0, unchanged 0, rejected 25 /);
    expect(lines.slice(1)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `  line ${i + 3}: bad email "not-an-email-${i}"`),
      '  … and 5 more (--json lists them all)',
    ]);
  });

  it('fails with one clear line on a missing file or key column', async () => {
    expect(await run('members', 'import', join(dir, 'nope.csv'))).toEqual({
      code: 3,
      out: '',
      err: `enquete: cannot read ${join(dir, 'nope.csv')} [FILE_NOT_FOUND]\n`,
    });
    const res = await run('members', 'import', fileURLToPath(anes96Path));
    expect(res.code).toBe(2);
    expect(res.err).toBe(
      'enquete: the header has no column external_id: name the key column with --key COLUMN, or number members by line with --key @line [MEMBERS_CSV_INVALID]\n',
    );
  });
});
