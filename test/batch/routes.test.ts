import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/index.ts';
import { reloadJobsFile } from '../../src/batch/index.ts';
import { parseJobsFile } from '../../src/batch/jobs-file.ts';
import { createBatchService } from '../../src/batch/service.ts';
import type { BatchService } from '../../src/batch/service-types.ts';
import type { Db } from '../../src/db/index.ts';
import { installErrorHandler } from '../../src/http/errors.ts';
import { batchRoutes } from '../../src/http/routes/batch.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { dialects } from '../helpers/db.ts';
import { batchTestDb } from './helpers/batch-db.ts';

const secret = 'xoxb-very-secret';

const originalYaml = `
- endpoint: /ibis/update_answer
  cmd: 'echo "DATE=$DATE key=$BQ_KEY"'
  env: { BQ_KEY: '\${BQ_KEY}' }
  timezone: America/New_York
  retryable: true
- name: sleepy
  cmd: 'sleep 300'
`;

describe.each(dialects())('batch routes on %s', (dialect) => {
  let db: Db;
  let batch: BatchService;
  let app: FastifyInstance;
  let dir: string;
  let jobsPath: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enquete-batch-routes-'));
    jobsPath = join(dir, 'jobs.yaml');
    db = await batchTestDb(dialect);
    // 02:00 UTC on 1 March is still 28 February in New York.
    const clock = new TestClock('2026-03-01T02:00:00.000Z');
    writeFileSync(jobsPath, originalYaml);
    const jobs = parseJobsFile(`
- endpoint: /ibis/update_answer
  cmd: 'echo "DATE=$DATE key=$BQ_KEY"'
  env: { BQ_KEY: '\${BQ_KEY}' }
  timezone: America/New_York
  retryable: true
- name: sleepy
  cmd: 'sleep 300'
`);
    batch = createBatchService({ db, clock, ids: sequentialIds(), jobs, env: { BQ_KEY: secret } });
    app = Fastify();
    installErrorHandler(app);
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      const role = request.headers['x-test-role'] as Role | undefined;
      request.principal = role ? { kind: 'user', id: 'us_1', label: 'tester', role, client: null } : null;
    });
    batchRoutes(app, { batch, config: { jobsPath, dataDir: dir } });
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await batch.stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const as = (role: Role | null) => (role ? { 'x-test-role': role } : {});

  it('POST /batch/<endpoint>?date= answers 202 with the run id; the command gets DATE', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/batch/ibis/update_answer?date=20250105',
      headers: as('researcher'),
    });
    expect(res.statusCode).toBe(202);
    const { runId } = res.json() as { runId: string };
    expect(res.json()).toEqual({ runId, date: '20250105' });
    await batch.idle();
    const run = await batch.run(runId);
    expect(run).toMatchObject({ job: 'ibis-update_answer', trigger: 'api', status: 'succeeded' });
    const logs = await app.inject({
      url: `/api/v1/jobs/ibis-update_answer/runs/${runId}/logs`,
      headers: as('admin'),
    });
    expect(logs.statusCode).toBe(200);
    const lines = (logs.json() as { logs: { stream: string; text: string }[] }).logs;
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual(['DATE=20250105 key=***']);
    expect(logs.body).not.toContain(secret);
  });

  it('without a date, runs for today in the job time zone', async () => {
    const res = await app.inject({ method: 'POST', url: '/batch/ibis/update_answer', headers: as('admin') });
    expect(res.statusCode).toBe(202);
    expect((res.json() as { date: string }).date).toBe('20260228');
    await batch.idle();
  });

  it('refuses bad dates, unknown endpoints and callers without the role', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/batch/ibis/update_answer?date=2026-03-01',
      headers: as('admin'),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      error: {
        code: 'BATCH_DATE_INVALID',
        message: 'date must be a calendar day as YYYYMMDD, got "2026-03-01"',
      },
    });
    const unknown = await app.inject({ method: 'POST', url: '/batch/ibis/nothing', headers: as('admin') });
    expect(unknown.statusCode).toBe(404);
    expect((unknown.json() as { error: { code: string } }).error.code).toBe('BATCH_JOB_NOT_FOUND');
    const anonymous = await app.inject({ method: 'POST', url: '/batch/ibis/update_answer' });
    expect(anonymous.statusCode).toBe(401);
    const client = await app.inject({
      method: 'POST',
      url: '/batch/ibis/update_answer',
      headers: as('client'),
    });
    expect(client.statusCode).toBe(403);
    const portal = await app.inject({ url: '/api/v1/jobs', headers: as('portal') });
    expect(portal.statusCode).toBe(403);
    expect(await batch.runs()).toEqual([]);
  });

  it('refuses an unknown or misplaced parameter instead of running for today; takes the date from a JSON body', async () => {
    const post = (url: string, payload?: Record<string, unknown>) =>
      app.inject({
        method: 'POST',
        url,
        headers: as('admin'),
        ...(payload === undefined ? {} : { payload }),
      });
    const error = (res: { json: () => unknown }) =>
      (res.json() as { error: { code: string; message: string } }).error;

    const shouted = await post('/batch/ibis/update_answer?DATE=20200101');
    expect(shouted.statusCode).toBe(400);
    expect(error(shouted).code).toBe('REQUEST_INVALID');
    expect(error(shouted).message).toContain('"DATE"');
    expect(await batch.runs()).toEqual([]);

    const inBody = await post('/batch/ibis/update_answer', { date: '20200101' });
    expect(inBody.statusCode).toBe(202);
    expect((inBody.json() as { date: string }).date).toBe('20200101');
    const both = await post('/batch/ibis/update_answer?date=20200102', { date: '20200102' });
    expect([both.statusCode, (both.json() as { date: string }).date]).toEqual([202, '20200102']);
    const disagree = await post('/batch/ibis/update_answer?date=20200103', { date: '20200104' });
    expect([disagree.statusCode, error(disagree)]).toEqual([
      400,
      {
        code: 'REQUEST_INVALID',
        message: 'query.date 20200103 and body.date 20200104 disagree: give the date once',
        details: { path: ['query', 'date'] },
      },
    ]);
    expect(error(await post('/batch/ibis/update_answer', { date: '2020-01-05' })).code).toBe(
      'BATCH_DATE_INVALID',
    );
    const misspelt = await post('/batch/ibis/update_answer', { Date: '20200105' });
    expect([misspelt.statusCode, error(misspelt).code]).toEqual([400, 'REQUEST_INVALID']);
    expect(error(misspelt).message).toContain('"Date"');
    expect((await batch.runs()).map((r) => r.date).sort()).toEqual(['20200101', '20200102']);

    // The JSON API's other routes are as strict: a date in the query of a run request is refused.
    for (const [url, payload] of [
      ['/api/v1/jobs/sleepy/runs?date=20200101', {}],
      ['/api/v1/jobs/sleepy/backfill?from=20200101', { from: '20200101', to: '20200101' }],
      ['/api/v1/jobs/sleepy/pause?reason=x', {}],
      ['/api/v1/jobs/sleepy/resume', { all: true }],
      ['/api/v1/jobs/resume?job=sleepy', {}],
    ] as const) {
      const res = await post(url, payload);
      expect([url, res.statusCode, error(res).code]).toEqual([url, 400, 'REQUEST_INVALID']);
    }
    const runs = await app.inject({ url: '/api/v1/jobs/sleepy/runs?limt=5', headers: as('admin') });
    expect(runs.statusCode).toBe(400);
    expect((await batch.runs()).length).toBe(2);
  });

  it('lists jobs without secrets, pauses and resumes one job or all', async () => {
    const list = await app.inject({ url: '/api/v1/jobs', headers: as('researcher') });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(secret);
    const jobs = (list.json() as { jobs: { name: string; envNames: string[]; paused: boolean }[] }).jobs;
    expect(jobs.map((j) => [j.name, j.envNames, j.paused])).toEqual([
      ['ibis-update_answer', ['BQ_KEY'], false],
      ['sleepy', [], false],
    ]);

    const pause = await app.inject({
      method: 'POST',
      url: '/api/v1/jobs/pause',
      headers: as('admin'),
      payload: { reason: 'release' },
    });
    expect(pause.statusCode).toBe(204);
    const one = await app.inject({ url: '/api/v1/jobs/sleepy', headers: as('admin') });
    expect((one.json() as { job: object }).job).toMatchObject({
      name: 'sleepy',
      paused: true,
      pausedBy: 'all',
      pausedReason: 'release',
    });
    await app.inject({ method: 'POST', url: '/api/v1/jobs/resume', headers: as('admin') });
    await app.inject({ method: 'POST', url: '/api/v1/jobs/sleepy/pause', headers: as('admin') });
    const after = await app.inject({ url: '/api/v1/jobs/sleepy', headers: as('admin') });
    expect((after.json() as { job: object }).job).toMatchObject({
      paused: true,
      pausedBy: 'job',
      pausedReason: null,
    });
    await app.inject({ method: 'POST', url: '/api/v1/jobs/sleepy/resume', headers: as('admin') });
    const resumed = await app.inject({ url: '/api/v1/jobs/sleepy', headers: as('admin') });
    expect((resumed.json() as { job: { paused: boolean } }).job.paused).toBe(false);
    const missing = await app.inject({ url: '/api/v1/jobs/nope', headers: as('admin') });
    expect(missing.statusCode).toBe(404);
  });

  it('runs, lists, cancels and backfills through /api/v1/jobs', async () => {
    const start = await app.inject({
      method: 'POST',
      url: '/api/v1/jobs/sleepy/runs',
      headers: as('admin'),
      payload: { date: '20260210' },
    });
    expect(start.statusCode).toBe(202);
    const { run } = start.json() as { run: { id: string; date: string; trigger: string } };
    expect(run).toMatchObject({ date: '20260210', trigger: 'manual' });

    const wrongJob = await app.inject({
      url: `/api/v1/jobs/ibis-update_answer/runs/${run.id}`,
      headers: as('admin'),
    });
    expect(wrongJob.statusCode).toBe(404);
    const cancel = await app.inject({
      method: 'POST',
      url: `/api/v1/jobs/sleepy/runs/${run.id}/cancel`,
      headers: as('admin'),
    });
    expect(cancel.statusCode).toBe(200);
    expect((cancel.json() as { run: { status: string } }).run.status).toBe('cancelled');
    await batch.idle();
    const again = await app.inject({
      method: 'POST',
      url: `/api/v1/jobs/sleepy/runs/${run.id}/cancel`,
      headers: as('admin'),
    });
    expect(again.statusCode).toBe(409);

    await batch.pause({ job: 'ibis-update_answer' });
    const backfill = await app.inject({
      method: 'POST',
      url: '/api/v1/jobs/ibis-update_answer/backfill',
      headers: as('researcher'),
      payload: { from: '20260101', to: '20260103' },
    });
    expect(backfill.statusCode).toBe(202);
    const runs = await app.inject({ url: '/api/v1/jobs/ibis-update_answer/runs', headers: as('admin') });
    expect(
      (runs.json() as { runs: { date: string; status: string }[] }).runs.map((r) => [r.date, r.status]),
    ).toEqual([
      ['20260103', 'queued'],
      ['20260102', 'queued'],
      ['20260101', 'queued'],
    ]);
    const reversed = await app.inject({
      method: 'POST',
      url: '/api/v1/jobs/ibis-update_answer/backfill',
      headers: as('admin'),
      payload: { from: '20260103', to: '20260101' },
    });
    expect(reversed.statusCode).toBe(400);
    expect((reversed.json() as { error: { code: string } }).error.code).toBe('BATCH_RANGE_INVALID');
  });

  it('answers the last N lines of a log in order with the count of those before (?tail=)', async () => {
    await batch.reload(parseJobsFile("- { name: chatty, cmd: 'seq 1 12000' }\n"));
    const { id: runId } = await batch.startRun('chatty', { date: '20260301' });
    await batch.idle();
    expect((await batch.run(runId)).status).toBe('succeeded');
    const url = `/api/v1/jobs/chatty/runs/${runId}/logs`;
    const tail = async (query: string) => app.inject({ url: `${url}?${query}`, headers: as('researcher') });

    const res = await tail('tail=5000');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { logs: { seq: number; text: string }[]; earlier: number };
    // Two lines about the attempt, 12,000 of output, the outcome: 12,003 lines, seq 1 to 12,003.
    expect(body.logs.map((l) => l.text)).toEqual([
      ...Array.from({ length: 4_999 }, (_, i) => String(7_002 + i)),
      'succeeded on attempt 1',
    ]);
    expect(body.logs.map((l) => l.seq)).toEqual(Array.from({ length: 5_000 }, (_, i) => 7_004 + i));
    expect(body.earlier).toBe(7_003);

    // Stored lines counted, not seqs: a write that failed leaves a gap (here 100 lines).
    await db.kysely
      .deleteFrom('batch_run_logs')
      .where('run_id', '=', runId)
      .where('seq', '>', 200)
      .where('seq', '<=', 300)
      .execute();
    expect((await tail('tail=5000')).json()).toMatchObject({ earlier: 6_903 });
    const short = (await tail('tail=10000')).json() as typeof body;
    expect([short.logs.length, short.earlier, short.logs[0]!.text]).toEqual([10_000, 1_903, '2002']);
    expect(await batch.logs(runId, { tail: 3 })).toMatchObject([
      { text: '11999' },
      { text: '12000' },
      { text: 'succeeded on attempt 1' },
    ]);

    for (const bad of ['tail=0', 'tail=10001', 'tail=x', 'tail=5&after=3', 'tail=5&limit=3', 'tale=5']) {
      const refused = await tail(bad);
      expect([bad, refused.statusCode]).toEqual([bad, 400]);
      expect((refused.json() as { error: { code: string } }).error.code).toBe('REQUEST_INVALID');
    }
    expect((await tail('tale=5')).json()).toMatchObject({
      error: { message: expect.stringContaining('tale') },
    });
    await batch.pause({ job: 'chatty' });
    const queued = await batch.startRun('chatty', { date: '20260302' });
    expect(
      (
        await app.inject({ url: `/api/v1/jobs/chatty/runs/${queued.id}/logs?tail=10`, headers: as('admin') })
      ).json(),
    ).toEqual({ logs: [], earlier: 0 });
  });

  it('downloads the whole log as text, page after page, masked, staff only', async () => {
    await batch.reload(
      parseJobsFile(`
- name: chatty
  cmd: 'seq 1 25000; echo "key=$BQ_KEY"'
  env: { BQ_KEY: '\${BQ_KEY}' }
`),
    );
    const { id: runId } = await batch.startRun('chatty', { date: '20260301' });
    await batch.idle();
    expect((await batch.run(runId)).status).toBe('succeeded');

    const res = await app.inject({
      url: `/api/v1/jobs/chatty/runs/${runId}/log.txt`,
      headers: as('researcher'),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="chatty-${runId}.log"`);
    const lines = res.body.split('\n');
    expect(lines.at(-1)).toBe('');
    const stdout = lines.filter((l) => / stdout /.test(l)).map((l) => l.split(' stdout ')[1]);
    // Three pages of 10,000 from the store; every line once, in order.
    expect(stdout).toEqual([...Array.from({ length: 25_000 }, (_, i) => String(i + 1)), 'key=***']);
    expect(res.body).not.toContain(secret);
    const all = await batch.logs(runId, { limit: 10_000 });
    expect(lines[0]).toBe(`${all[0]!.at} ${all[0]!.stream.padEnd(6)} ${all[0]!.text}`);

    const other = await app.inject({
      url: `/api/v1/jobs/sleepy/runs/${runId}/log.txt`,
      headers: as('admin'),
    });
    expect(other.statusCode).toBe(404);
    expect((other.json() as { error: { code: string } }).error.code).toBe('BATCH_RUN_NOT_FOUND');
    expect((await app.inject({ url: `/api/v1/jobs/chatty/runs/${runId}/log.txt` })).statusCode).toBe(401);
    expect(
      (await app.inject({ url: `/api/v1/jobs/chatty/runs/${runId}/log.txt`, headers: as('client') }))
        .statusCode,
    ).toBe(403);
  });

  it('reloads jobs.yaml from the console without losing a running run; a broken file changes nothing', async () => {
    const started = await app.inject({
      method: 'POST',
      url: '/api/v1/jobs/sleepy/runs',
      headers: as('admin'),
    });
    const runId = (started.json() as { run: { id: string } }).run.id;
    await expect.poll(async () => (await batch.run(runId)).status).toBe('running');

    writeFileSync(jobsPath, `${originalYaml}- { name: added, cmd: 'true', schedule: '0 3 * * *' }\n`);
    expect(
      (await app.inject({ method: 'POST', url: '/api/v1/jobs/reload', headers: as('researcher') }))
        .statusCode,
    ).toBe(403);
    const reloaded = await app.inject({ method: 'POST', url: '/api/v1/jobs/reload', headers: as('admin') });
    expect(reloaded.statusCode).toBe(200);
    expect(reloaded.json()).toEqual({
      source: jobsPath,
      jobs: ['ibis-update_answer', 'sleepy', 'added', 'reminders'],
    });
    const names = async () =>
      (
        (await app.inject({ url: '/api/v1/jobs', headers: as('admin') })).json() as {
          jobs: { name: string }[];
        }
      ).jobs
        .map((j) => j.name)
        .sort();
    expect(await names()).toEqual(['added', 'ibis-update_answer', 'reminders', 'sleepy']);
    expect((await batch.run(runId)).status).toBe('running');

    writeFileSync(jobsPath, '- { name: broken, cmd: x, schedule: "not cron" }\n');
    const refused = await app.inject({ method: 'POST', url: '/api/v1/jobs/reload', headers: as('admin') });
    expect(refused.statusCode).toBe(400);
    expect((refused.json() as { error: { code: string } }).error.code).toBe('BATCH_JOBS_INVALID');
    expect(await names()).toEqual(['added', 'ibis-update_answer', 'reminders', 'sleepy']);

    await app.inject({
      method: 'POST',
      url: `/api/v1/jobs/sleepy/runs/${runId}/cancel`,
      headers: as('admin'),
    });
    await batch.idle();
    expect((await batch.run(runId)).status).toBe('cancelled');
  });

  it('finds a ./jobs.yaml written after the start on the next reload', async () => {
    const later = join(dir, 'later.yaml');
    const settings = { jobsPath: undefined, jobsFallback: later, dataDir: dir };
    expect(await reloadJobsFile(batch, settings)).toEqual({ source: null, jobs: ['reminders'] });
    writeFileSync(later, "- { name: nightly, cmd: 'true', schedule: '0 2 * * *' }\n");
    expect(await reloadJobsFile(batch, settings)).toEqual({ source: later, jobs: ['nightly', 'reminders'] });
    expect((await batch.listJobs()).map((j) => j.name)).toEqual(['nightly', 'reminders']);
  });
});
