import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunRow, RunStore } from '../../src/batch/run-store.ts';
import type { Db } from '../../src/db/index.ts';
import { dialects } from '../helpers/db.ts';
import { batchTestDb } from './helpers/batch-db.ts';

describe.each(dialects())('run store on %s', (dialect) => {
  let db: Db;
  let store: RunStore;
  beforeEach(async () => {
    db = await batchTestDb(dialect);
    store = new RunStore(db);
  });
  afterEach(() => db.close());

  const cursors = async () =>
    Object.fromEntries(
      (await store.jobStates()).map((s) => [s.job, [s.last_scheduled_for, s.next_due_at]] as const),
    );

  it('moves cursors forward only, sets the next due instant, and leaves unnamed jobs alone', async () => {
    await store.ensureJobStates(['a', 'b', 'c', 'untouched'], '2026-03-01T00:00:00.000Z');
    await store.advanceCursors([
      { job: 'a', lastScheduledFor: '2026-03-01T01:00:00.000Z', nextDueAt: '2026-03-01T02:00:00.000Z' },
      { job: 'b', lastScheduledFor: null, nextDueAt: '2026-03-01T05:00:00.000Z' },
      { job: 'c', lastScheduledFor: '2026-03-01T03:00:00.000Z', nextDueAt: null },
    ]);
    // A slower process comes with an older instant for a: the cursor stays, the next due is its.
    await store.advanceCursors([
      { job: 'a', lastScheduledFor: '2026-03-01T00:30:00.000Z', nextDueAt: '2026-03-01T01:00:00.000Z' },
    ]);
    expect(await cursors()).toEqual({
      '*': [null, null],
      a: ['2026-03-01T01:00:00.000Z', '2026-03-01T01:00:00.000Z'],
      b: ['2026-03-01T00:00:00.000Z', '2026-03-01T05:00:00.000Z'],
      c: ['2026-03-01T03:00:00.000Z', null],
      untouched: ['2026-03-01T00:00:00.000Z', null],
    });
  });

  it('moves the cursors of 1,201 jobs in one call', async () => {
    const names = Array.from({ length: 1201 }, (_, i) => `job-${i}`);
    await store.ensureJobStates(names, '2026-03-01T00:00:00.000Z');
    await store.advanceCursors(
      names.map((job, i) => ({
        job,
        lastScheduledFor: '2026-03-01T00:01:00.000Z',
        nextDueAt: new Date(Date.UTC(2026, 2, 2, 0, 0, i)).toISOString(),
      })),
    );
    const states = await cursors();
    expect(Object.keys(states)).toHaveLength(1202);
    expect(names.filter((n) => states[n]![0] === '2026-03-01T00:01:00.000Z')).toHaveLength(1201);
    expect(states['job-0']![1]).toBe('2026-03-02T00:00:00.000Z');
    expect(states['job-1200']![1]).toBe('2026-03-02T00:20:00.000Z');
  });

  const queued = (job: string): RunRow => ({
    id: `run-${job}`,
    job,
    date: '20260301',
    trigger: 'manual',
    scheduled_for: null,
    status: 'queued',
    attempt: 0,
    max_attempts: 1,
    exit_code: null,
    error: null,
    created_at: '2026-03-01T00:00:00.000Z',
    started_at: null,
    finished_at: null,
    next_attempt_at: '2026-03-01T00:00:00.000Z',
    heartbeat_at: null,
  });

  it('claims at most the limit, in the order given, and counts the attempt', async () => {
    const names = ['j1', 'j2', 'j3', 'j4'];
    await store.ensureJobStates(names, '2026-03-01T00:00:00.000Z');
    const runs = names.map(queued);
    await store.insertRuns(runs);
    const first = await store.claim(runs, 'exclusive', '2026-03-01T00:00:01.000Z', 2);
    expect(first.won.map((r) => [r.job, r.status, r.attempt, r.started_at])).toEqual([
      ['j1', 'running', 1, '2026-03-01T00:00:01.000Z'],
      ['j2', 'running', 1, '2026-03-01T00:00:01.000Z'],
    ]);
    expect(first.contended).toBe(false);
    // The same (now stale) list again: j1 and j2 run already, so j3 and j4 are the ones left.
    const second = await store.claim(runs, 'exclusive', '2026-03-01T00:00:02.000Z', 2);
    expect(second.won.map((r) => r.job).sort()).toEqual(['j3', 'j4']);
  });

  it.runIf(dialect === 'postgres')(
    'passes over jobs that another process is claiming and takes the next ones',
    async () => {
      const names = ['j1', 'j2', 'j3', 'j4', 'j5', 'j6'];
      await store.ensureJobStates(names, '2026-03-01T00:00:00.000Z');
      const runs = names.map(queued);
      await store.insertRuns(runs);
      // Another process in the middle of its claim holds the state rows of j1 and j3.
      const claimed = await db.kysely.transaction().execute(async (other) => {
        await other
          .selectFrom('batch_job_state')
          .select('job')
          .where('job', 'in', ['j1', 'j3'])
          .forUpdate()
          .execute();
        return store.claim(runs, 'exclusive', '2026-03-01T00:00:01.000Z', 3);
      });
      expect(claimed.won.map((r) => r.job).sort()).toEqual(['j2', 'j4', 'j5']);
      // The limit was filled: nothing to look at again.
      expect(claimed.contended).toBe(false);
      const held = await db.kysely.transaction().execute(async (other) => {
        await other.selectFrom('batch_job_state').select('job').where('job', '=', 'j1').forUpdate().execute();
        return store.claim(runs, 'exclusive', '2026-03-01T00:00:02.000Z', 3);
      });
      // j1 is held, j2, j4 and j5 run already: j3 and j6 only, and the limit left unfilled.
      expect(held.won.map((r) => r.job).sort()).toEqual(['j3', 'j6']);
      expect(held.contended).toBe(true);
      const last = await store.claim(runs, 'exclusive', '2026-03-01T00:00:03.000Z', 3);
      expect(last.won.map((r) => r.job)).toEqual(['j1']);
    },
  );
});
