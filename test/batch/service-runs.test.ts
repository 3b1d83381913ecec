import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJobsFile } from '../../src/batch/jobs-file.ts';
import { createBatchService } from '../../src/batch/service.ts';
import type { BatchService, BatchServiceOptions } from '../../src/batch/service-types.ts';
import type { Db } from '../../src/db/index.ts';
import { type EnqueteError, sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { dialects } from '../helpers/db.ts';
import { batchTestDb } from './helpers/batch-db.ts';
import { webhookServer } from './helpers/webhook-server.ts';

const secret = 's3cr3t-Value-42';

async function errorOf(p: Promise<unknown>): Promise<EnqueteError> {
  return p.then(
    () => {
      throw new Error('expected an error');
    },
    (e: EnqueteError) => e,
  );
}

describe.each(dialects())('batch runs on %s', (dialect) => {
  let db: Db;
  let clock: TestClock;
  let dir: string;
  let hook: Awaited<ReturnType<typeof webhookServer>>;
  let service: BatchService;

  beforeEach(async () => {
    db = await batchTestDb(dialect);
    clock = new TestClock('2026-03-01T10:00:00.000Z');
    dir = mkdtempSync(join(tmpdir(), 'enquete-batch-'));
    hook = await webhookServer();
  });
  afterEach(async () => {
    await service?.stop();
    await hook.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function make(yaml: string, env: Record<string, string> = {}, options: BatchServiceOptions = {}) {
    const jobs = parseJobsFile(yaml.replaceAll('HOOK_URL', hook.url).replaceAll('DIR', dir));
    service = createBatchService({
      db,
      clock,
      ids: sequentialIds(),
      jobs,
      env: { HOOK_PATH: '/hook', ...env },
      options,
    });
    return service;
  }

  it('notes the output lines it did not keep before the outcome line', async () => {
    const batch = make(`[{ name: chatty, cmd: 'seq 1 25' }]`, {}, { maxLogLines: 10 });
    const { id } = await batch.startRun('chatty', { date: '20260301' });
    await batch.idle();
    const texts = (await batch.logs(id, { limit: 100 })).map((l) => l.text);
    // Ten of the 25 lines kept, 15 let go, then the outcome.
    expect(texts.slice(-12)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => String(i + 1)),
      '15 more lines of output were not kept (limit 10 per attempt)',
      'succeeded on attempt 1',
    ]);
  });

  it('passes ?date= to the command as DATE and {date}, and keeps the log', async () => {
    const batch = make(`
- endpoint: /ibis/update_answer
  cmd: 'printf "DATE=%s arg=%s\\n" "$DATE"'
  args: ['{date}']
`);
    const started = await batch.startRun('ibis-update_answer', { date: '20250105', trigger: 'api' });
    expect(started).toMatchObject({
      job: 'ibis-update_answer',
      date: '20250105',
      trigger: 'api',
      status: 'queued',
    });
    await batch.idle();
    expect(await batch.run(started.id)).toMatchObject({
      status: 'succeeded',
      attempt: 1,
      maxAttempts: 1,
      exitCode: 0,
      error: null,
      startedAt: '2026-03-01T10:00:00.000Z',
      finishedAt: '2026-03-01T10:00:00.000Z',
      durationMs: 0,
    });
    const logs = await batch.logs(started.id);
    expect(logs.map((l) => [l.seq, l.stream, l.text])).toEqual([
      [1, 'system', 'attempt 1 of 1 for 20250105 (local runner)'],
      [2, 'system', expect.stringMatching(/^started process \d+ \(local runner\)$/)],
      [3, 'stdout', 'DATE=20250105 arg=20250105'],
      [4, 'system', 'succeeded on attempt 1'],
    ]);
  });

  it('fails a run whose working directory does not exist at once, naming it, without retries', async () => {
    const batch = make(`[{ name: lost, cmd: pwd, workdir: DIR/x/y, retryable: true }]`);
    const { id } = await batch.startRun('lost', { date: '20260301' });
    await batch.idle();
    const error = `working directory ${dir}/x/y does not exist`;
    expect(await batch.run(id)).toMatchObject({ status: 'failed', attempt: 1, maxAttempts: 3, error });
    expect((await batch.logs(id)).map((l) => l.text)).toEqual([
      'attempt 1 of 3 for 20260301 (local runner)',
      `failed on attempt 1 of 3: ${error}`,
    ]);
  });

  it('dates a run without a date by today in the job time zone', async () => {
    // 10:00 UTC on 1 March is already 2 March in Kiritimati (UTC+14) and still 28 Feb nowhere.
    const batch = make(
      `[{ name: kiri, cmd: 'true', timezone: Pacific/Kiritimati }, { name: utc, cmd: 'true' }]`,
    );
    expect((await batch.startRun('kiri')).date).toBe('20260302');
    expect((await batch.startRun('utc')).date).toBe('20260301');
    await batch.idle();
  });

  it('refuses unknown jobs, bad dates and unknown runs', async () => {
    const batch = make(`[{ name: a, cmd: 'true' }]`);
    expect((await errorOf(batch.startRun('nope'))).code).toBe('BATCH_JOB_NOT_FOUND');
    expect((await errorOf(batch.startRun('a', { date: '20260230' }))).code).toBe('BATCH_DATE_INVALID');
    expect((await errorOf(batch.run('run_x'))).code).toBe('BATCH_RUN_NOT_FOUND');
    expect((await errorOf(batch.logs('run_x'))).code).toBe('BATCH_RUN_NOT_FOUND');
    expect(() => batch.jobForEndpoint('/nope')).toThrow(/no job is declared with the endpoint \/nope/);
    expect(await batch.runs()).toEqual([]);
  });

  it('never shows a secret in the log, the run error, the job list or a notification', async () => {
    const batch = make(
      `
notifiers:
  ops: { type: webhook, url: 'HOOK_URL\${HOOK_PATH}' }
jobs:
  - name: leaky
    cmd: 'echo "token is $TOKEN"; echo "$TOKEN" >&2; echo "$TOKEN" > /nonexistent/dir/x'
    env: { TOKEN: '\${BATCH_TOKEN}', PLAIN: shown }
    notify: ops
`,
      { BATCH_TOKEN: secret },
    );
    const { id } = await batch.startRun('leaky', { date: '20260301' });
    await batch.idle();
    const logs = await batch.logs(id);
    const text = logs.map((l) => l.text);
    expect(text).toContain('token is ***');
    expect(text).toContain('***');
    const everything = JSON.stringify([logs, await batch.runs(), await batch.listJobs(), hook.received]);
    expect(everything).not.toContain(secret);
    expect((await batch.listJobs())[0]!.envNames).toEqual(['PLAIN', 'TOKEN']);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.url).toBe('/hook');
  });

  it('retries a retryable job with the backoff, then notifies a real webhook exactly once', async () => {
    const batch = make(`
notifiers:
  ops: { type: webhook, url: HOOK_URL, headers: { X-Token: abc } }
jobs:
  - name: flaky
    cmd: 'echo "try on $DATE"; exit 7'
    retryable: true
    notify: [ops]
`);
    const { id } = await batch.startRun('flaky', { date: '20260228' });
    await batch.idle();
    // Attempt 1 failed at 10:00:00; the first retry waits min backoff 5 s.
    expect(await batch.run(id)).toMatchObject({
      status: 'queued',
      attempt: 1,
      maxAttempts: 3,
      exitCode: 7,
      error: 'exit code 7',
      nextAttemptAt: '2026-03-01T10:00:05.000Z',
    });
    clock.set('2026-03-01T10:00:04.999Z');
    await batch.tick();
    await batch.idle();
    expect((await batch.run(id)).attempt).toBe(1);

    clock.set('2026-03-01T10:00:05.000Z');
    await batch.tick();
    await batch.idle();
    // Attempt 2 failed at 10:00:05; the second retry waits 10 s (one doubling).
    expect(await batch.run(id)).toMatchObject({
      status: 'queued',
      attempt: 2,
      nextAttemptAt: '2026-03-01T10:00:15.000Z',
    });
    expect(hook.received).toHaveLength(0);

    clock.set('2026-03-01T10:00:15.000Z');
    await batch.tick();
    await batch.idle();
    expect(await batch.run(id)).toMatchObject({
      status: 'failed',
      attempt: 3,
      exitCode: 7,
      error: 'exit code 7',
      finishedAt: '2026-03-01T10:00:15.000Z',
      nextAttemptAt: null,
    });
    const tries = (await batch.logs(id)).filter((l) => l.stream === 'stdout').map((l) => l.text);
    expect(tries).toEqual(['try on 20260228', 'try on 20260228', 'try on 20260228']);

    clock.set('2026-03-01T11:00:00.000Z');
    await batch.tick();
    await batch.idle();
    expect(hook.received).toHaveLength(1);
    const call = hook.received[0]!;
    expect(call.method).toBe('POST');
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers['x-token']).toBe('abc');
    expect(call.body).toEqual({
      type: 'batch.run.failed',
      text: `flaky 20260228 failed after 3 attempts: exit code 7 (run ${id})`,
      kind: 'failed',
      job: 'flaky',
      runId: id,
      date: '20260228',
      trigger: 'manual',
      attempts: 3,
      exitCode: 7,
      error: 'exit code 7',
      at: '2026-03-01T10:00:15.000Z',
      logTail: ['try on 20260228'],
    });
  });

  it('does not retry a non-retryable job, and tells of the recovery once', async () => {
    const flag = join(dir, 'ok');
    const batch = make(`
notifiers:
  ops: { type: webhook, url: HOOK_URL }
jobs:
  - name: strict
    cmd: 'test -f DIR/ok'
    retryable: false
    notify: ops
`);
    const first = await batch.startRun('strict', { date: '20260301' });
    await batch.idle();
    expect(await batch.run(first.id)).toMatchObject({
      status: 'failed',
      attempt: 1,
      maxAttempts: 1,
      exitCode: 1,
    });
    clock.tick(3_600_000);
    await batch.tick();
    await batch.idle();
    expect((await batch.run(first.id)).attempt).toBe(1);
    expect(hook.received.map((r) => (r.body as { kind: string }).kind)).toEqual(['failed']);

    writeFileSync(flag, '');
    const second = await batch.startRun('strict', { date: '20260302' });
    await batch.idle();
    const third = await batch.startRun('strict', { date: '20260303' });
    await batch.idle();
    expect((await batch.run(second.id)).status).toBe('succeeded');
    expect((await batch.run(third.id)).status).toBe('succeeded');
    expect(hook.received.map((r) => r.body)).toEqual([
      expect.objectContaining({ kind: 'failed', runId: first.id }),
      expect.objectContaining({
        kind: 'recovered',
        runId: second.id,
        date: '20260302',
        text: `strict 20260302 succeeded again (run ${second.id})`,
      }),
    ]);
  });

  it('queues without starting in a queue-only (web) process; a scheduler process starts the run', async () => {
    const web = make(`[{ name: hello, cmd: 'echo hi from $DATE' }]`);
    web.queueOnly();
    const queued = await web.startRun('hello', { date: '20260301', trigger: 'api' });
    await web.idle();
    expect((await web.run(queued.id)).status).toBe('queued');
    const scheduler = createBatchService({
      db,
      clock,
      ids: sequentialIds(1000),
      jobs: parseJobsFile(`[{ name: hello, cmd: 'echo hi from $DATE' }]`),
    });
    try {
      await scheduler.tick();
      await scheduler.idle();
      expect((await scheduler.run(queued.id)).status).toBe('succeeded');
      expect(
        (await scheduler.logs(queued.id)).filter((l) => l.stream === 'stdout').map((l) => l.text),
      ).toEqual(['hi from 20260301']);
    } finally {
      await scheduler.stop();
    }
  });

  it('runs scheduled instants with their date, and lists next and last runs', async () => {
    const batch = make(
      `[{ name: nightly, cmd: 'echo $DATE', schedule: '30 2 * * *', timezone: Asia/Tokyo }]`,
    );
    clock.set('2026-03-01T17:30:00.000Z'); // 02:30 JST on 2 March
    await batch.tick();
    await batch.idle();
    const [run] = await batch.runs('nightly');
    expect(run).toMatchObject({
      trigger: 'schedule',
      scheduledFor: '2026-03-01T17:30:00.000Z',
      date: '20260302',
    });
    expect(run!.status).toBe('succeeded');
    expect((await batch.logs(run!.id)).find((l) => l.stream === 'stdout')?.text).toBe('20260302');
    const [job] = await batch.listJobs();
    expect(job).toMatchObject({
      name: 'nightly',
      paused: false,
      pausedBy: null,
      nextRunAt: '2026-03-02T17:30:00.000Z',
      lastRun: { id: run!.id, status: 'succeeded' },
    });
  });
});
