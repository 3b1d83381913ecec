import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJobsFile, readJobsFile } from '../../src/batch/jobs-file.ts';
import { createBatchService } from '../../src/batch/service.ts';
import type { BatchService, BatchServiceOptions } from '../../src/batch/service-types.ts';
import type { Db } from '../../src/db/index.ts';
import { sequentialIds, systemClock, TestClock } from '../../src/kernel/index.ts';
import { dialects } from '../helpers/db.ts';
import { batchTestDb } from './helpers/batch-db.ts';
import { type CliWorkspace, cliWorkspace } from './helpers/cli-workspace.ts';
import { alive, eventually, eventuallyAsync, groupMembers } from './helpers/processes.ts';
import { webhookServer } from './helpers/webhook-server.ts';

const bin = fileURLToPath(new URL('../../bin/enquete.mjs', import.meta.url));

/** A run as a process that died while running it leaves it: running, heartbeat at `heartbeat`. */
async function orphan(db: Db, id: string, job: string, heartbeat: string, attempt = 1, maxAttempts = 1) {
  await db.kysely
    .insertInto('batch_runs')
    .values({
      id,
      job,
      date: '20260301',
      trigger: 'manual',
      scheduled_for: null,
      status: 'running',
      attempt,
      max_attempts: maxAttempts,
      exit_code: null,
      error: null,
      created_at: '2026-03-01T09:00:00.000Z',
      started_at: '2026-03-01T09:00:00.000Z',
      finished_at: null,
      next_attempt_at: null,
      heartbeat_at: heartbeat,
    })
    .execute();
}

describe.each(dialects())('recovery of runs whose process stopped, on %s', (dialect) => {
  let db: Db;
  let clock: TestClock;
  let dir: string;
  let hook: Awaited<ReturnType<typeof webhookServer>>;
  const services: BatchService[] = [];

  beforeEach(async () => {
    db = await batchTestDb(dialect);
    clock = new TestClock('2026-03-01T10:00:00.000Z');
    dir = mkdtempSync(join(tmpdir(), 'enquete-recovery-'));
    hook = await webhookServer();
  });
  afterEach(async () => {
    for (const s of services.splice(0)) await s.stop();
    await hook.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const yaml = `
notifiers:
  ops: { type: webhook, url: HOOK_URL }
jobs:
  - name: strict
    cmd: 'echo strict ran'
    retryable: false
    notify: [ops]
  - name: flaky
    cmd: 'echo "flaky ran for $DATE"'
    retryable: true
    notify: [ops]
  - name: slow
    cmd: 'sleep 0.5; echo slow done'
    retryable: true
`;

  function make(options: BatchServiceOptions = {}) {
    const service = createBatchService({
      db,
      clock,
      ids: sequentialIds(services.length * 1_000_000),
      jobs: parseJobsFile(yaml.replaceAll('HOOK_URL', hook.url)),
      options: { staleAfterMs: 60_000, ...options },
    });
    services.push(service);
    return service;
  }

  it('fails a stale run of a non-retryable job and notifies once, with two processes recovering', async () => {
    const a = make();
    const b = make();
    await a.listJobs();
    // Heartbeat at 09:58:59.999: more than a minute old at 10:00.
    await orphan(db, 'run-dead', 'strict', '2026-03-01T09:58:59.999Z');
    await orphan(db, 'run-fresh', 'strict', '2026-03-01T09:59:00.000Z');
    const [ta, tb] = await Promise.all([a.tick(), b.tick()]);
    expect([...ta.recovered, ...tb.recovered]).toEqual(['run-dead']);
    await Promise.all([a.idle(), b.idle()]);
    expect(await a.run('run-dead')).toMatchObject({
      status: 'failed',
      attempt: 1,
      exitCode: null,
      error: 'the process running attempt 1 stopped: no heartbeat since 2026-03-01T09:58:59.999Z',
      finishedAt: '2026-03-01T10:00:00.000Z',
    });
    // One minute exactly is not stale yet.
    expect((await a.run('run-fresh')).status).toBe('running');
    expect(hook.received.map((r) => r.body)).toEqual([
      expect.objectContaining({ kind: 'failed', runId: 'run-dead', job: 'strict', attempts: 1 }),
    ]);
    expect((await a.logs('run-dead')).map((l) => l.text)).toEqual([
      'failed on attempt 1 of 1: the process running attempt 1 stopped: no heartbeat since 2026-03-01T09:58:59.999Z',
    ]);
    // Later ticks do not recover run-dead again; run-fresh, whose process never beats, goes stale.
    clock.tick(3_600_000);
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.idle(), b.idle()]);
    expect(hook.received.map((r) => (r.body as { runId: string }).runId)).toEqual(['run-dead', 'run-fresh']);
  });

  it('retries a stale run of a retryable job after the backoff, and frees the job for new runs', async () => {
    const batch = make();
    await batch.listJobs();
    await orphan(db, 'run-lost', 'flaky', '2026-03-01T09:58:00.000Z', 1, 3);
    expect((await batch.tick()).recovered).toEqual(['run-lost']);
    await batch.idle();
    expect(await batch.run('run-lost')).toMatchObject({
      status: 'queued',
      attempt: 1,
      nextAttemptAt: '2026-03-01T10:00:05.000Z',
    });
    clock.set('2026-03-01T10:00:05.000Z');
    await batch.tick();
    await batch.idle();
    expect(await batch.run('run-lost')).toMatchObject({ status: 'succeeded', attempt: 2, exitCode: 0 });
    expect((await batch.logs('run-lost')).map((l) => l.text)).toEqual([
      'attempt 1 failed: the process running attempt 1 stopped: no heartbeat since 2026-03-01T09:58:00.000Z; next attempt at 2026-03-01T10:00:05.000Z',
      'attempt 2 of 3 for 20260301 (local runner)',
      expect.stringMatching(/^started process \d+ \(local runner\)$/),
      'flaky ran for 20260301',
      'succeeded on attempt 2',
    ]);
    // The stale run held the job (overlap: skip); now a new run starts instead of being skipped.
    const next = await batch.startRun('flaky', { date: '20260302' });
    await batch.idle();
    expect((await batch.run(next.id)).status).toBe('succeeded');
    expect(hook.received).toHaveLength(0);
  });

  it('keeps a live run alive by its heartbeat, and a process that comes back does not overwrite the retry', async () => {
    // `a` writes its heartbeat only when it claims (its poll period is an hour): it stalls.
    const a = make({ cancelPollMs: 3_600_000 });
    const b = make({ cancelPollMs: 20 });
    const live = await b.startRun('slow', { date: '20260301' });
    await eventuallyAsync(async () => ((await b.run(live.id)).status === 'running' ? true : undefined));
    clock.tick(120_000);
    // b's heartbeat carries the new time; a's tick leaves the run alone.
    await eventuallyAsync(async () => {
      const row = await db.kysely
        .selectFrom('batch_runs')
        .select('heartbeat_at')
        .where('id', '=', live.id)
        .executeTakeFirst();
      return row?.heartbeat_at === '2026-03-01T10:02:00.000Z' ? true : undefined;
    });
    expect((await a.tick()).recovered).toEqual([]);
    await b.idle();
    expect((await b.run(live.id)).status).toBe('succeeded');

    const stalled = await a.startRun('slow', { date: '20260302' });
    await eventuallyAsync(async () => ((await a.run(stalled.id)).status === 'running' ? true : undefined));
    clock.tick(120_000);
    expect((await b.tick()).recovered).toEqual([stalled.id]);
    expect(await b.run(stalled.id)).toMatchObject({ status: 'queued', attempt: 1 });
    // a's attempt ends after b requeued the run: its outcome does not count.
    await a.idle();
    expect(await b.run(stalled.id)).toMatchObject({ status: 'queued', attempt: 1 });
    clock.tick(5_000);
    await b.tick();
    await b.idle();
    expect(await b.run(stalled.id)).toMatchObject({ status: 'succeeded', attempt: 2 });
    const texts = (await b.logs(stalled.id)).map((l) => l.text);
    expect(texts.filter((t) => t === 'slow done')).toHaveLength(2);
    expect(texts.filter((t) => t.startsWith('succeeded on attempt'))).toEqual(['succeeded on attempt 2']);
  });
});

describe.each(dialects())('a launcher process killed while running a job, on %s', (dialect) => {
  let dir: string;
  let db: Db;
  let ws: CliWorkspace;
  let env: NodeJS.ProcessEnv;
  let service: BatchService | undefined;
  let orphanGroup: number | undefined;

  beforeEach(async () => {
    ws = await cliWorkspace(
      dialect,
      'enquete-killed-',
      (d) =>
        `[{ name: hang, cmd: 'echo $$ > ${d}/pgid; test -f ${d}/go || exec sleep 30', retryable: true }]`,
    );
    ({ dir, env, db } = ws);
  });
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    if (orphanGroup !== undefined) {
      try {
        process.kill(-orphanGroup, 'SIGKILL');
      } catch {}
    }
    await ws.close();
  });

  it('retries the run in another process once the killed one stops beating', async () => {
    const cli = spawn(process.execPath, [bin, 'jobs', 'run', 'hang', '--date', '20260301', '--json'], {
      env,
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => cli.once('exit', () => resolve()));
    const running = await eventuallyAsync(
      async () =>
        (await db.kysely
          .selectFrom('batch_runs')
          .selectAll()
          .where('status', '=', 'running')
          .executeTakeFirst()) ?? undefined,
      800,
    );
    // The job's command leads its own process group.
    const group = await eventually(() => {
      try {
        const pgid = Number(readFileSync(join(dir, 'pgid'), 'utf8'));
        return groupMembers(pgid).some((p) => p.comm === 'sleep') ? pgid : undefined;
      } catch {
        return undefined;
      }
    });
    orphanGroup = group;
    cli.kill('SIGKILL');
    await exited;
    expect(alive(cli.pid!)).toBe(false);
    // The launcher's process host saw it go and stopped the job: no orphan runs next to the retry.
    await eventually(() => (groupMembers(group).length === 0 ? true : undefined));

    writeFileSync(join(dir, 'go'), '');
    service = createBatchService({
      db,
      clock: systemClock,
      ids: sequentialIds(1_000_000),
      jobs: readJobsFile(join(dir, 'jobs.yaml')),
      options: { staleAfterMs: 1_500, cancelPollMs: 100 },
    });
    const recovered = await eventuallyAsync(async () => {
      const tick = await service!.tick();
      return tick.recovered.length > 0 ? tick.recovered : undefined;
    }, 200);
    expect(recovered).toEqual([running.id]);
    await eventuallyAsync(async () => {
      await service!.tick();
      await service!.idle();
      const run = await service!.run(running.id);
      return run.status === 'succeeded' ? run : undefined;
    }, 200);
    expect(await service.run(running.id)).toMatchObject({ status: 'succeeded', attempt: 2, exitCode: 0 });
  });
});

describe.each(dialects())('stopping a launcher while runs go, on %s', (dialect) => {
  let db: Db;
  let hook: Awaited<ReturnType<typeof webhookServer>>;
  let dir: string;

  beforeEach(async () => {
    db = await batchTestDb(dialect);
    hook = await webhookServer();
    dir = mkdtempSync(join(tmpdir(), 'enquete-stop-'));
  });
  afterEach(async () => {
    await hook.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits out the grace, then stops the attempts: a retryable run is queued again, the other fails and notifies', async () => {
    const clock = new TestClock('2026-03-01T10:00:00.000Z');
    const batch = createBatchService({
      db,
      clock,
      ids: sequentialIds(),
      jobs: parseJobsFile(`
notifiers:
  ops: { type: webhook, url: ${hook.url} }
jobs:
  - { name: again, cmd: 'echo $$ > ${dir}/again; exec sleep 300', retryable: true }
  - { name: once, cmd: 'echo $$ > ${dir}/once; exec sleep 300', retryable: false, notify: [ops] }
  - { name: quick, cmd: 'sleep 0.2; echo quick done' }
`),
      options: { stopGraceMs: 1_000 },
    });
    const again = await batch.startRun('again', { date: '20260301' });
    const once = await batch.startRun('once', { date: '20260301' });
    const quick = await batch.startRun('quick', { date: '20260301' });
    const leaders = await eventually(() => {
      try {
        return ['again', 'once'].map((f) => Number(readFileSync(join(dir, f), 'utf8')));
      } catch {
        return undefined;
      }
    });
    await batch.stop();
    // The quick one ended within the grace; the others were stopped, their groups gone.
    expect(await batch.run(quick.id)).toMatchObject({ status: 'succeeded' });
    expect(await batch.run(again.id)).toMatchObject({
      status: 'queued',
      attempt: 1,
      error: 'interrupted: the launcher stopped',
      nextAttemptAt: '2026-03-01T10:00:05.000Z',
    });
    expect(await batch.run(once.id)).toMatchObject({
      status: 'failed',
      attempt: 1,
      error: 'interrupted: the launcher stopped',
    });
    for (const leader of leaders) expect(groupMembers(leader)).toEqual([]);
    expect(hook.received.map((r) => r.body)).toEqual([
      expect.objectContaining({ kind: 'failed', runId: once.id, error: 'interrupted: the launcher stopped' }),
    ]);
    // Nothing started after the stop began, though `again` has a retry queued.
    const rows = await db.kysely.selectFrom('batch_runs').select(['status']).execute();
    expect(rows.filter((r) => r.status === 'running')).toEqual([]);
  });
});
