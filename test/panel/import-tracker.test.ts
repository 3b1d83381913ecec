import { describe, expect, it } from 'vitest';
import { TestClock } from '../../src/kernel/index.ts';
import { ImportTracker } from '../../src/panel/import-tracker.ts';

const token = 'Tq3uXbYw1o2cZ8m7LkPa_Q';
const other = 'Zq3uXbYw1o2cZ8m7LkPa-Q';
const result = {
  inserted: 7,
  updated: 2,
  unchanged: 1,
  rejected: [{ line: 3, reason: 'x' }],
  attributes: [],
};

describe('import tracker', () => {
  it('follows an import from start to end, for its owner only', () => {
    const clock = new TestClock('2026-03-01T09:00:00.000Z');
    const tracker = new ImportTracker({ clock });
    const tracked = tracker.begin(token, 'user:us_1');
    expect(tracker.status(token, 'user:us_1')).toEqual({
      state: 'running',
      bytes: 0,
      rows: 0,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      startedAt: '2026-03-01T09:00:00.000Z',
      finishedAt: null,
      error: null,
    });
    tracked.progress({ bytes: 4096, rows: 2000, inserted: 1990, updated: 0, unchanged: 0, rejected: 10 });
    expect(tracker.status(token, 'user:us_1')).toMatchObject({ state: 'running', bytes: 4096, rows: 2000 });
    // Someone else, or a token never used, gets the same answer.
    expect(() => tracker.status(token, 'user:us_2')).toThrow(
      expect.objectContaining({ code: 'MEMBERS_IMPORT_NOT_FOUND' }),
    );
    expect(() => tracker.status(other, 'user:us_1')).toThrow(
      expect.objectContaining({ code: 'MEMBERS_IMPORT_NOT_FOUND' }),
    );
    clock.tick(5000);
    tracked.finish(result);
    expect(tracker.status(token, 'user:us_1')).toEqual({
      state: 'done',
      bytes: 4096,
      rows: 2000,
      inserted: 7,
      updated: 2,
      unchanged: 1,
      rejected: 1,
      startedAt: '2026-03-01T09:00:00.000Z',
      finishedAt: '2026-03-01T09:00:05.000Z',
      error: null,
    });
    // A late progress call does not reopen a finished import.
    tracked.progress({ bytes: 1, rows: 1, inserted: 0, updated: 0, unchanged: 0, rejected: 0 });
    expect(tracker.status(token, 'user:us_1').state).toBe('done');
  });

  it('keeps finished imports 15 minutes, refuses a token in use and malformed tokens', () => {
    const clock = new TestClock('2026-03-01T09:00:00.000Z');
    const tracker = new ImportTracker({ clock });
    const tracked = tracker.begin(token, 'apikey:ak_1');
    expect(() => tracker.begin(token, 'apikey:ak_1')).toThrow(
      expect.objectContaining({ code: 'MEMBERS_IMPORT_TOKEN_TAKEN' }),
    );
    tracked.fail(Object.assign(new Error('boom'), { secret: 'x' }));
    expect(tracker.status(token, 'apikey:ak_1')).toMatchObject({
      state: 'failed',
      error: { code: 'INTERNAL', message: 'the import failed; see the server log' },
    });
    expect(() => tracker.begin(token, 'apikey:ak_1')).toThrow(
      expect.objectContaining({ code: 'MEMBERS_IMPORT_TOKEN_TAKEN' }),
    );
    clock.tick(15 * 60_000 - 1);
    expect(tracker.status(token, 'apikey:ak_1').state).toBe('failed');
    clock.tick(1);
    expect(() => tracker.status(token, 'apikey:ak_1')).toThrow(
      expect.objectContaining({ code: 'MEMBERS_IMPORT_NOT_FOUND' }),
    );
    for (const bad of ['short', `${token}!`, 'a'.repeat(65)]) {
      expect(() => tracker.begin(bad, 'user:us_1')).toThrow(
        expect.objectContaining({ code: 'MEMBERS_IMPORT_TOKEN_INVALID' }),
      );
    }
  });

  it('forgets the oldest finished imports past its cap, never a running one', () => {
    const clock = new TestClock();
    const tracker = new ImportTracker({ clock, maxEntries: 3 });
    const tokens = ['a', 'b', 'c', 'd'].map((c) => c.repeat(22));
    const running = tracker.begin(tokens[0]!, 'o');
    tracker.begin(tokens[1]!, 'o').finish(result);
    clock.tick(1);
    tracker.begin(tokens[2]!, 'o').finish(result);
    tracker.begin(tokens[3]!, 'o');
    expect(() => tracker.status(tokens[1]!, 'o')).toThrow(
      expect.objectContaining({ code: 'MEMBERS_IMPORT_NOT_FOUND' }),
    );
    expect(tracker.status(tokens[0]!, 'o').state).toBe('running');
    expect(tracker.status(tokens[2]!, 'o').state).toBe('done');
    expect(tracker.status(tokens[3]!, 'o').state).toBe('running');
    running.finish(result);
  });
});
