import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStore } from '../../src/batch/run-store.ts';
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
});
