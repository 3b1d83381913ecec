import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJobsFile } from '../../src/batch/jobs-file.ts';
import { LocalRunner } from '../../src/batch/runners/local/local-runner.ts';
import { createBatchService } from '../../src/batch/service.ts';
import type { BatchService } from '../../src/batch/service-types.ts';
import { type Db, type Dialect, migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { dialects } from '../helpers/db.ts';
import { gentlePgDatabase } from './helpers/batch-db.ts';
import { eventually, eventuallyAsync } from './helpers/processes.ts';

/** Two handles on one fresh database, as two launcher processes have. */
async function twoHandles(
  dialect: Dialect,
  dir: string,
): Promise<{ dbs: [Db, Db]; drop: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const sqlitePath = join(dir, 'batch.sqlite');
    const first = openDatabase({ sqlitePath });
    await migrateToLatest(first);
    return { dbs: [first, openDatabase({ sqlitePath })], drop: async () => {} };
  }
  const pg = await gentlePgDatabase();
  const first = openDatabase({ databaseUrl: pg.url, poolSize: 5 });
  await migrateToLatest(first);
  return { dbs: [first, openDatabase({ databaseUrl: pg.url, poolSize: 5 })], drop: pg.drop };
}

describe.each(dialects())('log numbering across launcher processes, on %s', (dialect) => {
  let dir: string;
  let dbs: [Db, Db];
  let drop: () => Promise<void>;
  const services: BatchService[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enquete-seq-'));
    ({ dbs, drop } = await twoHandles(dialect, dir));
  });
  afterEach(async () => {
    writeFileSync(join(dir, 'go-a'), '');
    writeFileSync(join(dir, 'go-b'), '');
    for (const s of services.splice(0)) await s.stop();
    for (const db of dbs) await db.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The job as each process has it: it waits for its own go file, so the test says who ends when. */
  const jobs = (who: string) =>
    parseJobsFile(`
- name: slow
  retryable: true
  cmd: 'exec 2>/dev/null; trap "touch ${dir}/term-${who}" TERM; echo waiting; while [ ! -f ${dir}/go-${who} ]; do sleep 0.05; done; echo done'
`);

  it('keeps every line of a stalled process that comes back after its run was retried elsewhere', async () => {
    // `a` stalled: its clock stands at 10:00, so its heartbeats say nothing newer. It notices
    // the loss at its next heartbeat and stops its command, which outlives the SIGTERM until told.
    const clockA = new TestClock('2026-03-01T10:00:00.000Z');
    const clockB = new TestClock('2026-03-01T10:00:00.000Z');
    const a = createBatchService({
      db: dbs[0],
      clock: clockA,
      ids: sequentialIds(),
      jobs: jobs('a'),
      runners: { local: new LocalRunner({ killGraceMs: 60_000 }) },
      options: { cancelPollMs: 50 },
    });
    const b = createBatchService({
      db: dbs[1],
      clock: clockB,
      ids: sequentialIds(1_000_000),
      jobs: jobs('b'),
      options: { cancelPollMs: 50 },
    });
    services.push(a, b);
    const texts = async () => (await b.logs(run.id)).map((l) => l.text);
    const lines = (n: number) =>
      eventuallyAsync(async () => ((await texts()).length >= n ? true : undefined));

    const run = await a.startRun('slow', { date: '20260301' });
    await lines(3);
    clockB.set('2026-03-01T10:02:00.000Z');
    expect((await b.tick()).recovered).toEqual([run.id]);
    await eventually(() => (existsSync(join(dir, 'term-a')) ? true : undefined));
    clockB.set('2026-03-01T10:02:05.000Z');
    await b.tick();
    await lines(7);

    // a's last lines were numbered after its own, where b's lines are now.
    writeFileSync(join(dir, 'go-a'), '');
    await a.idle();
    await lines(9);
    // b's next lines were numbered after b's own, where a's late lines are now.
    writeFileSync(join(dir, 'go-b'), '');
    await b.idle();

    expect(await b.run(run.id)).toMatchObject({ status: 'succeeded', attempt: 2 });
    const logs = await b.logs(run.id);
    expect(logs.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(logs.map((l) => l.text)).toEqual([
      'attempt 1 of 3 for 20260301 (local runner)',
      expect.stringMatching(/^started process \d+ \(local runner\)$/),
      'waiting',
      'attempt 1 failed: the process running attempt 1 stopped: no heartbeat since 2026-03-01T10:00:00.000Z; next attempt at 2026-03-01T10:02:05.000Z',
      'attempt 2 of 3 for 20260301 (local runner)',
      expect.stringMatching(/^started process \d+ \(local runner\)$/),
      'waiting',
      'done',
      'attempt 1 stopped here: the run was recovered by another process',
      'done',
      'succeeded on attempt 2',
    ]);
  });
});
