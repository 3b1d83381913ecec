import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JobDefinition, parseJobsFile } from '../../src/batch/jobs-file.ts';
import { ALL_JOBS, RunStore } from '../../src/batch/run-store.ts';
import { Scheduler } from '../../src/batch/scheduler.ts';
import { type Db, type Dialect, migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { dialects } from '../helpers/db.ts';
import { batchTestDb, gentlePgDatabase } from './helpers/batch-db.ts';

function jobs(yaml: string): JobDefinition[] {
  return parseJobsFile(yaml).jobs;
}

async function runsOf(db: Db, job?: string) {
  return db.kysely
    .selectFrom('batch_runs')
    .select(['job', 'scheduled_for', 'date', 'trigger', 'status'])
    .$if(job !== undefined, (q) => q.where('job', '=', job!))
    .orderBy('scheduled_for')
    .orderBy('job')
    .execute();
}

/** Ticks every `stepMs` from the clock's time up to `until` (inclusive). */
async function tickThrough(scheduler: Scheduler, clock: TestClock, until: string, stepMs: number) {
  const end = new Date(until).getTime();
  while (clock.now().getTime() < end) {
    clock.tick(Math.min(stepMs, end - clock.now().getTime()));
    await scheduler.tick();
  }
}

describe.each(dialects())('scheduler on %s', (dialect) => {
  let db: Db;
  let store: RunStore;
  beforeEach(async () => {
    db = await batchTestDb(dialect);
    store = new RunStore(db);
  });
  afterEach(() => db.close());

  function setup(list: JobDefinition[], start: string) {
    const clock = new TestClock(start);
    const scheduler = new Scheduler({ store, clock, ids: sequentialIds(), jobs: () => list });
    return {
      clock,
      scheduler,
      init: () =>
        store.ensureJobStates(
          list.map((j) => j.name),
          start,
        ),
    };
  }

  it('starts a jittered run within its jitter after the instant, keeping the date of the instant', async () => {
    const list = jobs(`
- { name: a, cmd: x, schedule: '0 0 * * *', timezone: Asia/Tokyo, jitter: 30m }
- { name: b, cmd: x, schedule: '0 0 * * *', timezone: Asia/Tokyo, jitter: 30m }
- { name: c, cmd: x, schedule: '0 0 * * *', timezone: Asia/Tokyo }
`);
    const { clock, scheduler, init } = setup(list, '2026-05-01T14:00:00.000Z');
    await init();
    clock.set('2026-05-01T15:00:00.000Z'); // midnight in Tokyo, 2 May
    await scheduler.tick();
    const rows = await db.kysely
      .selectFrom('batch_runs')
      .select(['job', 'date', 'scheduled_for', 'next_attempt_at'])
      .orderBy('job')
      .execute();
    // The offset, computed here on its own: sha256("job\0instant"), first 4 bytes, modulo 30 min.
    const offset = (job: string) =>
      createHash('sha256').update(`${job}\u00002026-05-01T15:00:00.000Z`).digest().readUInt32BE(0) %
      1_800_000;
    const startOf = (job: string) =>
      new Date(Date.parse('2026-05-01T15:00:00.000Z') + offset(job)).toISOString();
    expect(rows).toEqual([
      {
        job: 'a',
        date: '20260502',
        scheduled_for: '2026-05-01T15:00:00.000Z',
        next_attempt_at: startOf('a'),
      },
      {
        job: 'b',
        date: '20260502',
        scheduled_for: '2026-05-01T15:00:00.000Z',
        next_attempt_at: startOf('b'),
      },
      {
        job: 'c',
        date: '20260502',
        scheduled_for: '2026-05-01T15:00:00.000Z',
        next_attempt_at: '2026-05-01T15:00:00.000Z',
      },
    ]);
    expect(offset('a')).not.toBe(offset('b'));
  });

  it('runs a 02:30 New York job once on the spring-forward day, right after the gap', async () => {
    const list = jobs(`[{ name: ny, cmd: x, schedule: '30 2 * * *', timezone: America/New_York }]`);
    const { clock, scheduler, init } = setup(list, '2026-03-07T12:00:00.000Z');
    await init();
    await tickThrough(scheduler, clock, '2026-03-10T12:00:00.000Z', 10 * 60_000);
    // 8 March 2026 is the second Sunday of March: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    expect(await runsOf(db)).toEqual([
      {
        job: 'ny',
        scheduled_for: '2026-03-08T07:00:00.000Z',
        date: '20260308',
        trigger: 'schedule',
        status: 'queued',
      },
      {
        job: 'ny',
        scheduled_for: '2026-03-09T06:30:00.000Z',
        date: '20260309',
        trigger: 'schedule',
        status: 'queued',
      },
      {
        job: 'ny',
        scheduled_for: '2026-03-10T06:30:00.000Z',
        date: '20260310',
        trigger: 'schedule',
        status: 'queued',
      },
    ]);
  });

  it('runs once on the fall-back day, also for a time that occurs twice', async () => {
    const list = jobs(`
- { name: at0230, cmd: x, schedule: '30 2 * * *', timezone: America/New_York }
- { name: at0130, cmd: x, schedule: '30 1 * * *', timezone: America/New_York }
`);
    const { clock, scheduler, init } = setup(list, '2026-10-31T12:00:00.000Z');
    await init();
    await tickThrough(scheduler, clock, '2026-11-02T12:00:00.000Z', 10 * 60_000);
    // 1 November 2026: 02:00 EDT falls back to 01:00 EST, so 01:30 happens at 05:30 and 06:30 UTC;
    // the job runs at the first. 02:30 exists once, in EST (07:30 UTC).
    expect((await runsOf(db, 'at0130')).map((r) => [r.scheduled_for, r.date])).toEqual([
      ['2026-11-01T05:30:00.000Z', '20261101'],
      ['2026-11-02T06:30:00.000Z', '20261102'],
    ]);
    expect((await runsOf(db, 'at0230')).map((r) => [r.scheduled_for, r.date])).toEqual([
      ['2026-11-01T07:30:00.000Z', '20261101'],
      ['2026-11-02T07:30:00.000Z', '20261102'],
    ]);
  });

  it('takes the date of a run from the scheduled instant in the job time zone', async () => {
    const list = jobs(`[{ name: tokyo, cmd: x, schedule: '0 30 23 * * *', timezone: Asia/Tokyo }]`);
    const { clock, scheduler, init } = setup(list, '2026-05-31T00:00:00.000Z');
    await init();
    await tickThrough(scheduler, clock, '2026-05-31T15:00:00.000Z', 30 * 60_000);
    // 23:30 JST on 31 May is 14:30 UTC on 31 May.
    expect((await runsOf(db)).map((r) => [r.scheduled_for, r.date])).toEqual([
      ['2026-05-31T14:30:00.000Z', '20260531'],
    ]);
  });

  describe('catch-up after downtime (hourly job, down from 00:00:30 to 05:10)', () => {
    const cases: [string, string[]][] = [
      ['skip', []],
      ['once', ['2026-01-01T05:00:00.000Z']],
      [
        '{ policy: all, max: 3 }',
        ['2026-01-01T03:00:00.000Z', '2026-01-01T04:00:00.000Z', '2026-01-01T05:00:00.000Z'],
      ],
      [
        'all',
        [
          '2026-01-01T01:00:00.000Z',
          '2026-01-01T02:00:00.000Z',
          '2026-01-01T03:00:00.000Z',
          '2026-01-01T04:00:00.000Z',
          '2026-01-01T05:00:00.000Z',
        ],
      ],
    ];
    it.each(cases)('catchup: %s', async (policy, expected) => {
      const list = jobs(`[{ name: hourly, cmd: x, schedule: '0 * * * *', catchup: ${policy} }]`);
      const { clock, scheduler, init } = setup(list, '2026-01-01T00:00:30.000Z');
      await init();
      clock.set('2026-01-01T05:10:00.000Z');
      await scheduler.tick();
      expect((await runsOf(db)).map((r) => r.scheduled_for)).toEqual(expected);
      // Back to normal: the next instant fires on time whatever the policy.
      clock.set('2026-01-01T06:00:01.000Z');
      await scheduler.tick();
      expect((await runsOf(db)).map((r) => r.scheduled_for)).toEqual([
        ...expected,
        '2026-01-01T06:00:00.000Z',
      ]);
    });
  });

  it('fires nothing while a job or every job is paused; on resume the catch-up policy applies', async () => {
    const list = jobs(`
- { name: once, cmd: x, schedule: '0 * * * *' }
- { name: all, cmd: x, schedule: '0 * * * *', catchup: all }
- { name: skip, cmd: x, schedule: '0 * * * *', catchup: skip }
`);
    const { clock, scheduler, init } = setup(list, '2026-01-01T00:00:30.000Z');
    await init();
    await store.setPaused('once', true, 'maintenance', clock.now().toISOString());
    await store.setPaused(ALL_JOBS, true, 'incident', clock.now().toISOString());
    await tickThrough(scheduler, clock, '2026-01-01T03:30:00.000Z', 5 * 60_000);
    expect(await runsOf(db)).toEqual([]);

    await store.setPaused(ALL_JOBS, false, null, clock.now().toISOString());
    await scheduler.tick();
    // `once` is still paused by itself; `all` fires the three missed hours, `skip` none.
    expect((await runsOf(db)).map((r) => `${r.job} ${r.scheduled_for}`)).toEqual([
      'all 2026-01-01T01:00:00.000Z',
      'all 2026-01-01T02:00:00.000Z',
      'all 2026-01-01T03:00:00.000Z',
    ]);
    await store.setPaused('once', false, null, clock.now().toISOString());
    await scheduler.tick();
    expect((await runsOf(db, 'once')).map((r) => r.scheduled_for)).toEqual(['2026-01-01T03:00:00.000Z']);
    const state = (await store.jobStates()).find((s) => s.job === 'once');
    expect(state).toMatchObject({ paused: 0, last_scheduled_for: '2026-01-01T03:00:00.000Z' });
  });
});

/** Several scheduler processes on one database: separate connections, one clock. */
async function sharedDatabase(
  dialect: Dialect,
  n: number,
): Promise<{ dbs: Db[]; close: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'enquete-sched-'));
    const file = join(dir, 'shared.sqlite');
    const dbs = Array.from({ length: n }, () => openDatabase({ sqlitePath: file }));
    await migrateToLatest(dbs[0]!);
    return {
      dbs,
      close: async () => {
        for (const db of dbs) await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const pg = await gentlePgDatabase();
  const dbs = Array.from({ length: n }, () => openDatabase({ databaseUrl: pg.url, poolSize: 4 }));
  await migrateToLatest(dbs[0]!);
  return {
    dbs,
    close: async () => {
      for (const db of dbs) await db.close();
      await pg.drop();
    },
  };
}

describe.each(dialects())('several schedulers on one %s database', (dialect) => {
  it.each([2, 3])('%i schedulers fire each tick exactly once', async (n) => {
    const { dbs, close } = await sharedDatabase(dialect, n);
    try {
      const list = jobs(`
- { name: every10s, cmd: x, schedule: '*/10 * * * * *' }
- { name: every15s, cmd: x, schedule: '*/15 * * * * *', catchup: all }
- { name: minutely, cmd: x, schedule: '* * * * *', catchup: skip }
`);
      const start = '2026-01-01T00:00:00.500Z';
      const clock = new TestClock(start);
      const schedulers = dbs.map(
        (db, i) =>
          new Scheduler({
            store: new RunStore(db),
            clock,
            ids: sequentialIds(i * 1_000_000),
            jobs: () => list,
          }),
      );
      await new RunStore(dbs[0]!).ensureJobStates(
        list.map((j) => j.name),
        start,
      );
      let fired = 0;
      let lost = 0;
      // Three minutes in steps of 700 ms: every instance ticks at every step, concurrently.
      for (let t = 0; t < 258; t++) {
        clock.tick(700);
        const results = await Promise.all(schedulers.map((s) => s.tick()));
        for (const r of results) {
          fired += r.fired.length;
          lost += r.lost;
        }
      }
      // Up to 00:03:01.1: */10 s → 18 instants (00:00:10 … 00:03:00), */15 s → 12, minutely → 3.
      const runs = await runsOf(dbs[0]!);
      const count = (job: string) => runs.filter((r) => r.job === job).length;
      expect([count('every10s'), count('every15s'), count('minutely')]).toEqual([18, 12, 3]);
      expect(fired).toBe(33);
      expect(new Set(runs.map((r) => `${r.job} ${r.scheduled_for}`)).size).toBe(33);
      expect(lost).toBeGreaterThan(0);
    } finally {
      await close();
    }
  });
});
