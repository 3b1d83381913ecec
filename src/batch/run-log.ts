import { isUniqueViolation } from '../db/index.ts';
import { type Clock, isoNow } from '../kernel/index.ts';
import type { LogWriter } from './log-writer.ts';
import type { Masker } from './masker.ts';
import type { LogRow } from './run-store.ts';
import { storableText } from './stored-text.ts';

export interface RunLogProps {
  /** Shared by the runs of this process, so that their lines are inserted together. */
  writer: LogWriter;
  clock: Clock;
  masker: Masker;
  runId: string;
  /** The last sequence number already stored for the run (earlier attempts). */
  lastSeq: number;
  /**
   * Reads the run's last stored sequence number again, after a write found its numbers taken by
   * another process (one that recovered the run, or a stalled one that came back).
   */
  storedLastSeq: () => Promise<number>;
  /** Lines kept per attempt; the rest is counted, not stored. */
  maxLines: number;
  /** How long lines wait to be written together (a fast job's whole log is one insert). */
  batchMs?: number;
  onWriteError: (error: unknown) => void;
}

const tailLines = 20;
/** Times a batch is numbered again after the stored lines before it is given up. */
const maxRenumbers = 5;
/** Lines per write: one insert statement, so that a write that fails stored none of them. */
const batchRows = 500;

/**
 * The run log kept by us: lines are made storable (see {@link storableText}), masked, numbered
 * and handed to the writer in batches (every 250 ms or 500 lines), one batch at a time, so a
 * chatty job costs few statements and lines keep their order. Another process may write lines of
 * the same run meanwhile (the run was recovered there while this one stalled, or the other way
 * round): a batch whose numbers it took is numbered again after the stored lines and written again.
 *
 * @example
 * const log = new RunLog({
 *   writer, clock, masker, runId, lastSeq: 0, storedLastSeq: () => store.lastSeq(runId),
 *   maxLines: 100_000, onWriteError,
 * });
 * log.add('stdout', 'hello');
 * await log.flush();
 */
export class RunLog {
  readonly #p: RunLogProps;
  #seq: number;
  #kept = 0;
  #dropped = 0;
  #pending: LogRow[] = [];
  #writing: Promise<void> = Promise.resolve();
  #scheduled = false;
  #timer: NodeJS.Timeout | undefined;
  /** The last lines the job printed, masked, for notifications. */
  #tail: string[] = [];

  constructor(props: RunLogProps) {
    this.#p = props;
    this.#seq = props.lastSeq;
  }

  add(stream: LogRow['stream'], text: string): void {
    if (stream !== 'system' && this.#kept >= this.#p.maxLines) {
      this.#dropped++;
      return;
    }
    // The note on dropped output goes where the output stopped: before a note or outcome line.
    if (stream === 'system') this.#noteDropped();
    const masked = this.#p.masker.mask(storableText(text));
    if (stream !== 'system') {
      this.#kept++;
      this.#tail.push(masked);
      if (this.#tail.length > tailLines) this.#tail.shift();
    }
    this.#pending.push({
      run_id: this.#p.runId,
      seq: ++this.#seq,
      at: isoNow(this.#p.clock),
      stream,
      text: masked,
    });
    if (this.#pending.length >= batchRows) this.#schedule();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => this.#schedule(), this.#p.batchMs ?? 250);
      this.#timer.unref();
    }
  }

  /** The last 20 lines of output (stdout and stderr) of this attempt, masked, oldest first. */
  tail(): string[] {
    return [...this.#tail];
  }

  /** Writes what is pending; resolves when every line added so far is stored. */
  async flush(): Promise<void> {
    this.#noteDropped();
    this.#schedule();
    await this.#writing;
  }

  #noteDropped(): void {
    if (this.#dropped === 0) return;
    const n = this.#dropped;
    this.#dropped = 0;
    this.add('system', `${n} more lines of output were not kept (limit ${this.#p.maxLines} per attempt)`);
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#writing = this.#writing.then(async () => {
      this.#scheduled = false;
      while (this.#pending.length > 0) await this.#write(this.#pending.splice(0, batchRows));
    });
  }

  async #write(rows: LogRow[]): Promise<void> {
    for (let renumbered = 0; ; renumbered++) {
      try {
        await this.#p.writer.append(rows);
        return;
      } catch (error) {
        if (!isUniqueViolation(error) || renumbered >= maxRenumbers) {
          this.#p.onWriteError(error);
          return;
        }
      }
      try {
        this.#renumber(rows, await this.#p.storedLastSeq());
      } catch (error) {
        this.#p.onWriteError(error);
        return;
      }
    }
  }

  /** Numbers `rows`, then the lines added since, on from `last`. */
  #renumber(rows: LogRow[], last: number): void {
    let seq = last;
    for (const row of rows) row.seq = ++seq;
    for (const row of this.#pending) row.seq = ++seq;
    this.#seq = seq;
  }
}
