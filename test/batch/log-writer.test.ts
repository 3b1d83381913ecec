import { describe, expect, it } from 'vitest';
import { LogWriter } from '../../src/batch/log-writer.ts';
import type { LogRow } from '../../src/batch/run-store.ts';

const rows = (runId: string, n: number): LogRow[] =>
  Array.from({ length: n }, (_, i) => ({
    run_id: runId,
    seq: i + 1,
    at: '2026-03-01T00:00:00.000Z',
    stream: 'stdout',
    text: `line ${i + 1}`,
  }));

/** An in-memory store whose inserts wait for `release()`, and fail for a run named `bad`. */
function fakeStore() {
  const inserts: string[][] = [];
  const stored: LogRow[] = [];
  let gate: (() => void) | null = null;
  let held = true;
  return {
    inserts,
    stored,
    release() {
      held = false;
      gate?.();
    },
    async appendLogs(batch: LogRow[]) {
      inserts.push([
        ...new Set(batch.map((r) => `${r.run_id}×${batch.filter((b) => b.run_id === r.run_id).length}`)),
      ]);
      if (held) await new Promise<void>((resolve) => (gate = resolve));
      if (batch.some((r) => r.run_id === 'bad')) throw new Error('violates a constraint');
      stored.push(...batch);
    },
  };
}

describe('log writer', () => {
  it('writes the lines that arrive during an insert together in the next one', async () => {
    const store = fakeStore();
    const writer = new LogWriter(store);
    const first = writer.append(rows('a', 2));
    const rest = ['b', 'c', 'd'].map((id) => writer.append(rows(id, 3)));
    store.release();
    await Promise.all([first, ...rest]);
    expect(store.inserts).toEqual([['a×2'], ['b×3', 'c×3', 'd×3']]);
    expect(store.stored).toHaveLength(11);
  });

  it('puts at most 500 rows in a shared insert; a larger batch goes alone', async () => {
    const store = fakeStore();
    const writer = new LogWriter(store);
    const all = [
      writer.append(rows('a', 1)),
      writer.append(rows('b', 300)),
      writer.append(rows('c', 200)),
      writer.append(rows('d', 1)),
      writer.append(rows('e', 700)),
      writer.append(rows('f', 5)),
    ];
    store.release();
    await Promise.all(all);
    expect(store.inserts).toEqual([['a×1'], ['b×300', 'c×200'], ['d×1'], ['e×700'], ['f×5']]);
    expect(store.stored).toHaveLength(1207);
  });

  it('when a shared insert fails, writes each run again alone: only the bad one fails', async () => {
    const store = fakeStore();
    const writer = new LogWriter(store);
    const first = writer.append(rows('a', 1));
    const results = Promise.allSettled(['b', 'bad', 'c'].map((id) => writer.append(rows(id, 2))));
    store.release();
    await first;
    expect((await results).map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(store.inserts).toEqual([['a×1'], ['b×2', 'bad×2', 'c×2'], ['b×2'], ['bad×2'], ['c×2']]);
    expect([...new Set(store.stored.map((r) => r.run_id))]).toEqual(['a', 'b', 'c']);
  });
});
