import type { LogRow, RunStore } from './run-store.ts';

/** Rows per insert when the lines of several runs go together (one statement, all or nothing). */
const groupRows = 500;

interface Pending {
  rows: LogRow[];
  done: () => void;
  fail: (error: unknown) => void;
}

/**
 * Writes the log lines of every run of this process, one insert at a time: the lines that arrive
 * while an insert is under way go together in the next one, so a thousand short runs ending at
 * once cost a few statements and commits rather than two or three each. When a shared insert
 * fails, each run's lines are written again on their own, so that one run's bad rows cost no other
 * run its log; the caller hears of its own failure only.
 *
 * @example
 * const writer = new LogWriter(store);
 * await writer.append(rows); // resolves once these rows are stored
 */
export class LogWriter {
  readonly #store: Pick<RunStore, 'appendLogs'>;
  #queue: Pending[] = [];
  #draining = false;

  constructor(store: Pick<RunStore, 'appendLogs'>) {
    this.#store = store;
  }

  append(rows: LogRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return new Promise((done, fail) => {
      this.#queue.push({ rows, done, fail });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const group = [this.#queue.shift()!];
        let rows = group[0]!.rows.length;
        while (this.#queue.length > 0 && rows + this.#queue[0]!.rows.length <= groupRows) {
          rows += this.#queue[0]!.rows.length;
          group.push(this.#queue.shift()!);
        }
        if (group.length === 1) {
          await this.#write(group[0]!);
          continue;
        }
        try {
          await this.#store.appendLogs(group.flatMap((p) => p.rows));
          for (const p of group) p.done();
        } catch {
          for (const p of group) await this.#write(p);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  async #write(p: Pending): Promise<void> {
    try {
      await this.#store.appendLogs(p.rows);
      p.done();
    } catch (error) {
      p.fail(error);
    }
  }
}
