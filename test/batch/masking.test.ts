import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJobsFile } from '../../src/batch/jobs-file.ts';
import { Masker } from '../../src/batch/masker.ts';
import { LineSplitter } from '../../src/batch/runners/line-splitter.ts';
import { createBatchService } from '../../src/batch/service.ts';
import type { BatchService } from '../../src/batch/service-types.ts';
import type { Db } from '../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { dialects } from '../helpers/db.ts';
import { batchTestDb } from './helpers/batch-db.ts';

/** A private key as a secret of several lines; its short lines are not secret on their own. */
const pem = [
  '-----BEGIN KEY-----',
  'MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu',
  '  KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ',
  '',
  'AQAB',
  '-----END KEY-----',
].join('\n');

function split(chunks: string[], maxLine: number, keepWhole: string[]): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), maxLine, keepWhole);
  for (const c of chunks) s.push(Buffer.from(c));
  s.end();
  return lines;
}

describe('masking secrets of several lines', () => {
  it('masks each line of a multi-line secret of 8 characters or more, trimmed', () => {
    const masker = new Masker([pem, 'plain-secret']);
    expect(masker.size).toBe(2);
    const raw = [
      pem,
      'MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu',
      'KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ',
      '-----BEGIN KEY-----',
      '-----END KEY-----',
      'plain-secret',
    ];
    // Longest first; the encoded forms (next test) come in among them.
    expect(masker.patterns.filter((p) => raw.includes(p))).toEqual(raw);
    const printed = pem.split('\n').map((line) => masker.mask(line));
    expect(printed).toEqual(['***', '***', '  ***', '', 'AQAB', '***']);
    // The whole value in one text (an error, a notification) is masked whole.
    expect(masker.mask(`key: ${pem}.`)).toBe('key: ***.');
    expect(masker.mask('AQAB and a blank line stay')).toBe('AQAB and a blank line stay');
  });
});

describe('masking secrets as jobs print them in JSON and URLs', () => {
  it('masks the JSON-escaped, ASCII-escaped, slash-escaped and URL-encoded forms', () => {
    const masker = new Masker(['pa"ss\\wo/rd$x y', 'pässwörd-123']);
    // JSON.stringify, Python's json.dumps, PHP's json_encode.
    expect(masker.mask('{"q":"pa\\"ss\\\\wo/rd$x y"}')).toBe('{"q":"***"}');
    expect(masker.mask('{"q": "p\\u00e4ssw\\u00f6rd-123"}')).toBe('{"q": "***"}');
    expect(masker.mask('{"q":"pa\\"ss\\\\wo\\/rd$x y"}')).toBe('{"q":"***"}');
    // encodeURIComponent / urllib.parse.quote, and a form body.
    expect(masker.mask('https://x.example/?q=pa%22ss%5Cwo%2Frd%24x%20y&r=1')).toBe(
      'https://x.example/?q=***&r=1',
    );
    expect(masker.mask('q=pa%22ss%5Cwo%2Frd%24x+y')).toBe('q=***');
    expect(masker.mask('p%C3%A4ssw%C3%B6rd-123')).toBe('***');
    // What is not a form of a secret stays.
    expect(masker.mask('pa ss wo rd')).toBe('pa ss wo rd');
  });
});

describe('cutting an over-long line around secrets', () => {
  it('cuts at maxLine when no secret spans the cut', () => {
    expect(split(['abcdefghij\n'], 4, ['zz'])).toEqual(['abcdefghij']);
    expect(split(['abcdefghij'], 4, ['zz'])).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('moves the cut to the start of a secret that spans it, whatever the chunks', () => {
    const text = `${'x'.repeat(8)}SECRET${'y'.repeat(12)}`;
    const expected = ['xxxxxxxx', 'SECRETyyyy', 'yyyyyyyy'];
    expect(split([text], 10, ['SECRET'])).toEqual(expected);
    // One character at a time: the splitter waits until it can see the secret whole.
    expect(split([...text], 10, ['SECRET'])).toEqual(expected);
    expect(split([text.slice(0, 11), text.slice(11)], 10, ['SECRET'])).toEqual(expected);
    // Without the secret's value, it would be cut in two.
    expect(split([text], 10, [])).toEqual(['xxxxxxxxSE', 'CRETyyyyyy', 'yyyyyy']);
  });

  it('keeps every secret whole when a moved cut lands in another, and a secret at the start', () => {
    const text = `xxxxxxABCDEFGHxxxxxx`;
    // A cut at 10 is in "DEFGH" (from 9), moved to 9, which is in "ABCDE" (from 6): cut at 6.
    expect(split([text], 10, ['DEFGH', 'ABCDE'])).toEqual(['xxxxxx', 'ABCDEFGHxx', 'xxxx']);
    // A secret at the very start of a piece, longer than the rest of it: the piece is not empty.
    expect(split(['SECRETSECRETxx'], 10, ['SECRETSECRET'.slice(0, 9)])).toEqual(['SECRETSECR', 'ETxx']);
  });
});

describe.each(dialects())('secrets in the stored log, on %s', (dialect) => {
  let db: Db;
  let dir: string;
  let service: BatchService | undefined;
  const token = 'tok3n-Value-0123456789';

  beforeEach(async () => {
    db = await batchTestDb(dialect);
    dir = mkdtempSync(join(tmpdir(), 'enquete-mask-'));
  });
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function make(cmd: string) {
    service = createBatchService({
      db,
      clock: new TestClock('2026-03-01T10:00:00.000Z'),
      ids: sequentialIds(),
      jobs: parseJobsFile(`
- name: leaky
  cmd: 'sh ${join(dir, 'job.sh')}'
  env: { KEY: '\${BATCH_KEY}', TOKEN: '\${BATCH_TOKEN}' }
`),
      env: { BATCH_KEY: pem, BATCH_TOKEN: token },
    });
    writeFileSync(join(dir, 'job.sh'), cmd);
    return service;
  }

  async function printed(batch: BatchService): Promise<string[]> {
    const { id } = await batch.startRun('leaky', { date: '20260301' });
    await batch.idle();
    expect((await batch.run(id)).status).toBe('succeeded');
    return (await batch.logs(id)).filter((l) => l.stream !== 'system').map((l) => l.text);
  }

  it('masks each line of a multi-line secret the job prints', async () => {
    const batch = make(`printf '%s\\n' "$KEY"; printf 'AQAB stays\\n'`);
    expect(await printed(batch)).toEqual(['***', '***', '  ***', '', 'AQAB', '***', 'AQAB stays']);
  });

  it('masks a secret the job prints as JSON or URL-encoded', async () => {
    const batch = make(
      `node -e 'console.log(JSON.stringify({ key: process.env.KEY })); console.log(encodeURIComponent(process.env.KEY))'`,
    );
    expect(await printed(batch)).toEqual(['{"key":"***"}', '***']);
  });

  it('masks a secret that an over-long line has across the 16,384-character cut', async () => {
    // 16,380 x, the token across the cut, 1,000 y; the line break comes later, so the line is cut.
    const batch = make(
      `printf '%s%s%s' "$(head -c 16380 /dev/zero | tr '\\0' x)" "$TOKEN" "$(head -c 1000 /dev/zero | tr '\\0' y)"\nsleep 0.3\necho\n`,
    );
    // Runs of x and y counted, so that a failure shows what matters.
    const counted = (await printed(batch)).map((l) => l.replace(/(x+|y+)/g, (m) => `${m[0]}×${m.length}`));
    expect(counted).toEqual(['x×16380', '***y×1000']);
  });
});
