import { type SpawnOptions, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJobsFile } from '../../src/batch/jobs-file.ts';
import { LocalRunner } from '../../src/batch/runners/local/local-runner.ts';
import { createBatchService } from '../../src/batch/service.ts';
import type { BatchService } from '../../src/batch/service-types.ts';
import type { Db } from '../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { dialects } from '../helpers/db.ts';
import { batchTestDb } from './helpers/batch-db.ts';
import { alive, eventually, eventuallyAsync, groupMembers } from './helpers/processes.ts';

describe.each(dialects())('batch control on %s', (dialect) => {
  let db: Db;
  let clock: TestClock;
  let dir: string;
  let services: BatchService[];
  let leaders: number[];

  beforeEach(async () => {
    db = await batchTestDb(dialect);
    clock = new TestClock('2026-03-01T10:00:00.000Z');
    dir = mkdtempSync(join(tmpdir(), 'enquete-batch-'));
    services = [];
    leaders = [];
  });
  afterEach(async () => {
    for (const s of services) await s.stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A service whose local runner records the pid of every process it starts. */
  function make(yaml: string, idSeed = 0) {
    const runner = new LocalRunner({
      killGraceMs: 1_000,
      spawn: (command: string, args: readonly string[], options: SpawnOptions) => {
        const child = spawn(command, args, options);
        if (child.pid) leaders.push(child.pid);
        return child;
      },
    });
    const service = createBatchService({
      db,
      clock,
      ids: sequentialIds(idSeed),
      jobs: parseJobsFile(yaml.replaceAll('DIR', dir)),
      runners: { local: runner },
      options: { cancelPollMs: 50 },
    });
    services.push(service);
    return service;
  }

  const statusOf = (batch: BatchService, id: string) => batch.run(id).then((r) => r.status);
  const until = (batch: BatchService, id: string, status: string) =>
    eventuallyAsync(async () => ((await statusOf(batch, id)) === status ? true : undefined));

  it('kills a timed-out run together with its children', async () => {
    const batch = make(
      `[{ name: hang, cmd: "sh -c 'sleep 300 & sleep 300'", timeout: 2s, retryable: false }]`,
    );
    const { id } = await batch.startRun('hang', { date: '20260301' });
    const leader = await eventually(() => leaders[0]);
    const sleeps = await eventually(() => {
      const members = groupMembers(leader).filter((p) => p.comm === 'sleep');
      return members.length === 2 ? members : undefined;
    });
    await batch.idle();
    expect(await batch.run(id)).toMatchObject({ status: 'failed', attempt: 1, error: 'timed out after 2s' });
    for (const p of sleeps) await eventually(() => (alive(p.pid) ? undefined : true));
    expect(groupMembers(leader)).toEqual([]);
  });

  it('overlap skip: a run that starts while another runs is skipped; cancel stops the running one', async () => {
    const batch = make(`[{ name: long, cmd: 'sleep 300' }]`);
    const first = await batch.startRun('long', { date: '20260301' });
    await until(batch, first.id, 'running');
    const second = await batch.startRun('long', { date: '20260302' });
    await until(batch, second.id, 'skipped');
    expect((await batch.run(second.id)).error).toBe('skipped: another run of this job was still running');

    expect((await batch.cancel(first.id)).status).toBe('cancelled');
    await batch.idle();
    expect(await batch.run(first.id)).toMatchObject({ status: 'cancelled', error: 'cancelled' });
    expect(alive(leaders[0]!)).toBe(false);
    await expect(batch.cancel(first.id)).rejects.toMatchObject({ code: 'BATCH_RUN_FINISHED' });
  });

  it('overlap queue: the second run waits for the first', async () => {
    const batch = make(`[{ name: q, cmd: 'echo "$DATE" >> DIR/order; sleep 300', overlap: queue }]`);
    const order = () => {
      try {
        return readFileSync(join(dir, 'order'), 'utf8');
      } catch {
        return '';
      }
    };
    const first = await batch.startRun('q', { date: '20260301' });
    await until(batch, first.id, 'running');
    const second = await batch.startRun('q', { date: '20260302' });
    await batch.tick();
    expect(await statusOf(batch, second.id)).toBe('queued');
    // A cancel before the shell got to its echo would stop it first: wait for the command's mark.
    await eventually(() => (order() === '20260301\n' ? true : undefined));
    await batch.cancel(first.id);
    await until(batch, second.id, 'running');
    await eventually(() => (order() === '20260301\n20260302\n' ? true : undefined));
    await batch.cancel(second.id);
    await batch.idle();
    expect(readFileSync(join(dir, 'order'), 'utf8')).toBe('20260301\n20260302\n');
  });

  it('overlap replace: a new run cancels the running one', async () => {
    const batch = make(`[{ name: r, cmd: 'sleep 300', overlap: replace }]`);
    const first = await batch.startRun('r', { date: '20260301' });
    await until(batch, first.id, 'running');
    const second = await batch.startRun('r', { date: '20260302' });
    await until(batch, second.id, 'running');
    expect(await batch.run(first.id)).toMatchObject({
      status: 'cancelled',
      error: `replaced by run ${second.id}`,
    });
    await batch.cancel(second.id);
    await batch.idle();
    expect(leaders.every((pid) => !alive(pid))).toBe(true);
  });

  it('a run executing in one process is cancelled from another', async () => {
    const yaml = `[{ name: far, cmd: 'sleep 300' }]`;
    const here = make(yaml);
    const there = make(yaml, 1_000);
    const { id } = await here.startRun('far', { date: '20260301' });
    await until(there, id, 'running');
    await there.cancel(id);
    await here.idle();
    expect(await here.run(id)).toMatchObject({ status: 'cancelled' });
    expect(alive(leaders[0]!)).toBe(false);
  });

  it('backfill runs one day at a time, in date order, even for an overlap: allow job', async () => {
    const batch = make(
      `[{ name: bf, cmd: 'echo "start $DATE" >> DIR/log; sleep 0.2; echo "end $DATE" >> DIR/log', overlap: allow }]`,
    );
    const runs = await batch.backfill('bf', '20260227', '20260302');
    expect(runs.map((r) => [r.date, r.trigger, r.status])).toEqual([
      ['20260227', 'backfill', 'queued'],
      ['20260228', 'backfill', 'queued'],
      ['20260301', 'backfill', 'queued'],
      ['20260302', 'backfill', 'queued'],
    ]);
    await batch.idle();
    expect(readFileSync(join(dir, 'log'), 'utf8').trim().split('\n')).toEqual([
      'start 20260227',
      'end 20260227',
      'start 20260228',
      'end 20260228',
      'start 20260301',
      'end 20260301',
      'start 20260302',
      'end 20260302',
    ]);
    expect((await batch.runs('bf')).map((r) => r.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    await expect(batch.backfill('bf', '20260302', '20260301')).rejects.toMatchObject({
      code: 'BATCH_RANGE_INVALID',
    });
  });

  it('pause all holds every run until resume; pausing one job holds only it', async () => {
    const batch = make(`[{ name: a, cmd: 'true' }, { name: b, cmd: 'true' }]`);
    await batch.pause({ all: true }, 'database upgrade');
    const a = await batch.startRun('a', { date: '20260301' });
    await batch.tick();
    await batch.idle();
    expect(await statusOf(batch, a.id)).toBe('queued');
    expect((await batch.listJobs()).map((j) => [j.name, j.paused, j.pausedBy, j.pausedReason])).toEqual([
      ['a', true, 'all', 'database upgrade'],
      ['b', true, 'all', 'database upgrade'],
    ]);

    await batch.pause({ job: 'b' }, 'flaky upstream');
    await batch.resume({ all: true });
    const b = await batch.startRun('b', { date: '20260301' });
    await batch.tick();
    await batch.idle();
    expect(await statusOf(batch, a.id)).toBe('succeeded');
    expect(await statusOf(batch, b.id)).toBe('queued');
    expect((await batch.listJobs()).map((j) => [j.name, j.paused, j.pausedBy, j.pausedReason])).toEqual([
      ['a', false, null, null],
      ['b', true, 'job', 'flaky upstream'],
    ]);
    await batch.resume({ job: 'b' });
    await batch.idle();
    expect(await statusOf(batch, b.id)).toBe('succeeded');
    await expect(batch.pause({ job: 'zzz' })).rejects.toMatchObject({ code: 'BATCH_JOB_NOT_FOUND' });
  });

  it('runs queued during a pause follow the overlap on resume: skip runs the first, skips the rest; queue runs all', async () => {
    const batch = make(`[{ name: s, cmd: 'sleep 0.2' }, { name: q, cmd: 'true', overlap: queue }]`);
    await batch.pause({ all: true });
    const s1 = await batch.startRun('s', { date: '20260301' });
    const s2 = await batch.startRun('s', { date: '20260302' });
    const q1 = await batch.startRun('q', { date: '20260301' });
    const q2 = await batch.startRun('q', { date: '20260302' });
    await batch.resume({ all: true });
    await batch.idle();
    await batch.settle([s1.id, s2.id, q1.id, q2.id]);
    const runs = await Promise.all([s1, s2, q1, q2].map((r) => batch.run(r.id)));
    expect(runs.map((r) => [r.job, r.date, r.status])).toEqual([
      ['s', '20260301', 'succeeded'],
      ['s', '20260302', 'skipped'],
      ['q', '20260301', 'succeeded'],
      ['q', '20260302', 'succeeded'],
    ]);
  });
});
