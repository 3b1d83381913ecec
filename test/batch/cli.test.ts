import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli as cli } from '../helpers/cli.ts';
import { dialects } from '../helpers/db.ts';
import { gentlePgDatabase } from './helpers/batch-db.ts';

const jobsYaml = `
- endpoint: /ibis/update_answer
  image: 'ibis-container:latest'
  cmd: 'echo "date $DATE key $BQ_KEY"; test "$DATE" != 20260102'
  cpu: 256
  memory: 512
  env:
    BQ_KEY: '\${CLI_TEST_KEY}'
  retryable: false
`;

describe.each(dialects())('enquete jobs on %s', (dialect) => {
  let dir: string;
  let drop: (() => Promise<void>) | undefined;
  const saved = { ...process.env };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enquete-cli-'));
    writeFileSync(join(dir, 'jobs.yaml'), jobsYaml);
    process.env['ENQUETE_DATA_DIR'] = join(dir, 'data');
    process.env['ENQUETE_JOBS'] = join(dir, 'jobs.yaml');
    process.env['CLI_TEST_KEY'] = 'k3y-from-env';
    if (dialect === 'postgres') {
      const pg = await gentlePgDatabase();
      process.env['DATABASE_URL'] = pg.url;
      drop = pg.drop;
    } else {
      delete process.env['DATABASE_URL'];
    }
  });
  afterEach(async () => {
    process.env = { ...saved };
    await drop?.();
    drop = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs commands that do not touch the launcher in a shell without the secrets of jobs.yaml', async () => {
    delete process.env['CLI_TEST_KEY'];
    const surveys = await cli('survey', 'list', '--json');
    expect(surveys).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(surveys.out)).toEqual({ surveys: [] });
    const jobs = await cli('jobs', 'list');
    expect(jobs.code).not.toBe(0);
    expect(jobs.out).toBe('');
    expect(jobs.err.trim().split('\n')).toHaveLength(1);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the jobs.yaml reference, as the error names it
    expect(jobs.err).toContain('references ${CLI_TEST_KEY}, which is not set');
  });

  it('runs a job for a date, lists its runs and prints its log without the secret', async () => {
    const run = await cli('jobs', 'run', 'ibis-update_answer', '--date', '20260101', '--json');
    expect(run.code).toBe(0);
    const { run: view } = JSON.parse(run.out) as { run: { id: string; status: string; date: string } };
    expect(view).toMatchObject({ status: 'succeeded', date: '20260101' });

    const logs = await cli('jobs', 'logs', view.id);
    expect(logs.code).toBe(0);
    expect(logs.out).toContain('stdout date 20260101 key ***');
    expect(logs.out).not.toContain('k3y-from-env');

    // The file's job, then the built-in reminders job (every 10 minutes) under it.
    const list = await cli('jobs', 'list');
    expect(list.out).toMatch(
      /^ibis-update_answer {2}\/ibis\/update_answer {2}on demand {2}next - {2}last succeeded 20260101\nreminders {2}\/reminders {2}\*\/10 \* \* \* \* UTC {2}next \d{4}-\d\d-\d\dT\d\d:\d0:00\.000Z {2}last never run\n$/,
    );
  });

  it('prints the whole log of a run, past the 10,000 lines the service gives at a time', async () => {
    writeFileSync(join(dir, 'jobs.yaml'), `[{ name: chatty, cmd: 'seq 1 25000' }]`);
    const run = await cli('jobs', 'run', 'chatty', '--date', '20260101', '--json');
    expect(run.code).toBe(0);
    const id = (JSON.parse(run.out) as { run: { id: string } }).run.id;

    const text = await cli('jobs', 'logs', id);
    expect(text).toMatchObject({ code: 0, err: '' });
    const lines = text.out.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(25_003);
    expect(lines[0]).toMatch(/^\S+ system attempt 1 of 1 for 20260101 \(local runner\)$/);
    expect(lines.slice(2, -1).map((l) => l.replace(/^\S+ stdout /, ''))).toEqual(
      Array.from({ length: 25_000 }, (_, i) => String(i + 1)),
    );
    expect(lines.at(-1)).toMatch(/^\S+ system succeeded on attempt 1$/);

    const json = await cli('jobs', 'logs', id, '--json');
    const { logs } = JSON.parse(json.out) as { logs: { seq: number }[] };
    expect(logs.map((l) => l.seq)).toEqual(Array.from({ length: 25_003 }, (_, i) => i + 1));
    expect(json.out).toBe(`${JSON.stringify({ logs }, null, 2)}\n`);

    // A run with no lines yet (its job paused): an empty list.
    expect((await cli('jobs', 'pause', 'chatty')).code).toBe(0);
    const queued = await cli('jobs', 'run', 'chatty', '--date', '20260102', '--json');
    const queuedId = (JSON.parse(queued.out) as { run: { id: string; status: string } }).run.id;
    expect(await cli('jobs', 'logs', queuedId, '--json')).toMatchObject({
      code: 0,
      out: '{\n  "logs": []\n}\n',
    });
    expect(await cli('jobs', 'logs', queuedId)).toMatchObject({ code: 0, out: '' });
  });

  it('backfills in order and exits 1 when a day failed', async () => {
    const r = await cli(
      'jobs',
      'backfill',
      'ibis-update_answer',
      '--from',
      '20260101',
      '--to',
      '20260103',
      '--json',
    );
    expect(r.code).toBe(1);
    const runs = (JSON.parse(r.out) as { runs: { date: string; status: string; exitCode: number }[] }).runs;
    expect(runs.map((x) => [x.date, x.status, x.exitCode])).toEqual([
      ['20260101', 'succeeded', 0],
      ['20260102', 'failed', 1],
      ['20260103', 'succeeded', 0],
    ]);
    expect(r.err).toMatch(/^enquete: 1 of 3 runs failed: run_\w+ \[BATCH_RUN_FAILED\]\n$/m);
  });

  it('says plainly that a run asked for while its job is paused waits, and what overlap: skip will do', async () => {
    expect((await cli('jobs', 'pause', '--all', '--reason', 'upgrade')).code).toBe(0);
    const first = await cli('jobs', 'run', 'ibis-update_answer', '--date', '20260101', '--json');
    expect(first.code).toBe(0);
    const one = (JSON.parse(first.out) as { run: { id: string; status: string } }).run;
    expect(one.status).toBe('queued');
    expect(first.err).toMatch(
      new RegExp(
        `^enquete: every job is paused since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z: "upgrade"\\. ${one.id} waits, queued, until \`enquete jobs resume --all\`; then a running enquete serve starts it\\.\n$`,
      ),
    );
    const second = await cli('jobs', 'run', 'ibis-update_answer', '--date', '20260102');
    expect(second.code).toBe(0);
    expect(second.err.split('\n')[1]).toBe(
      'enquete: 1 other run is of ibis-update_answer queued too; with overlap: skip only the first in line runs on resume, the others are recorded skipped.',
    );
    // A job paused by itself names the job; a backfill (always queued in turn) gets no skip note.
    expect((await cli('jobs', 'resume', '--all')).code).toBe(0);
    expect((await cli('jobs', 'pause', 'ibis-update_answer')).code).toBe(0);
    const days = await cli(
      'jobs',
      'backfill',
      'ibis-update_answer',
      '--from',
      '20260103',
      '--to',
      '20260104',
      '--json',
    );
    expect(days.code).toBe(0);
    expect(days.err).toMatch(
      /^enquete: ibis-update_answer is paused since \S+ \(no reason given\)\. run_\w+, run_\w+ waits, queued, until `enquete jobs resume ibis-update_answer`; then a running enquete serve starts it\.\n$/m,
    );
    expect(days.err).not.toContain('overlap');
  });

  it('pauses and resumes, and answers bad input with one line and a non-zero code', async () => {
    expect((await cli('jobs', 'pause', '--all', '--reason', 'upgrade')).out).toBe('paused every job\n');
    expect((await cli('jobs', 'list')).out).toContain('PAUSED (upgrade)');
    expect((await cli('jobs', 'resume', '--all')).out).toBe('resumed every job\n');
    expect((await cli('jobs', 'list')).out).not.toContain('PAUSED');

    const unknown = await cli('jobs', 'run', 'nope');
    expect([unknown.code, unknown.err]).toEqual([3, 'enquete: no job named nope [BATCH_JOB_NOT_FOUND]\n']);
    const badDate = await cli('jobs', 'run', 'ibis-update_answer', '--date', '2026-01-01');
    expect(badDate.code).toBe(2);
    expect(badDate.err).toContain('[BATCH_DATE_INVALID]');
    expect(await cli('jobs', 'pause')).toMatchObject({
      code: 2,
      err: 'enquete: give a job name or --all [CLI_ARGUMENT_INVALID]\n',
    });
    expect(await cli('jobs', 'resume', 'x', '--all')).toMatchObject({ code: 2 });
    expect(await cli('jobs', 'run')).toMatchObject({
      code: 2,
      err: "enquete: missing required argument 'name'\n",
    });
    expect((await cli('jobs', 'logs', 'run_nope')).code).toBe(3);
    // A file the command cannot write is named, in words, with a code.
    const out = join(dir, 'no-such-folder', 'x.csv');
    expect(await cli('export', '--survey', 'sv_none', '--format', 'csv', '--out', out)).toMatchObject({
      code: 3,
      err: `enquete: ${out}.partial: no such file or folder [FILE_NOT_FOUND]\n`,
    });
  });
});
