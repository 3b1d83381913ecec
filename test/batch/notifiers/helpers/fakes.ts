import { batchError } from '../../../../src/batch/errors.ts';
import type { Channel, Notice } from '../../../../src/batch/notifiers/notifier.ts';
import type { QueueTimers } from '../../../../src/batch/notifiers/notifier-queue.ts';

/** Timers that move only when told to; `advance` fires what falls due, in order. */
export class FakeTimers implements QueueTimers {
  #now = 0;
  #pending: { at: number; fn: () => void; seq: number }[] = [];
  #seq = 0;
  /** Every wait asked for, in milliseconds, with whether it keeps the process alive. */
  readonly waits: [number, boolean][] = [];

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void, keepAlive: boolean): () => void {
    const entry = { at: this.#now + ms, fn, seq: this.#seq++ };
    this.waits.push([ms, keepAlive]);
    this.#pending.push(entry);
    return () => {
      this.#pending = this.#pending.filter((e) => e !== entry);
    };
  }

  /** Moves time forward, firing due callbacks and letting the promises they release run. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await flush();
      const due = this.#pending.filter((e) => e.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.#pending = this.#pending.filter((e) => e !== due);
      this.#now = due.at;
      due.fn();
    }
    this.#now = end;
    await flush();
  }
}

/** Lets every pending promise callback and I/O turn run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** A channel that records what it is sent and fails as scripted (`retryable`, `final`, or `ok`). */
export class ScriptedChannel implements Channel {
  readonly name = 'ops';
  readonly sent: Notice[] = [];
  readonly attempts: Notice[] = [];
  #script: ('ok' | 'retryable' | 'final' | { retryAfterMs: number })[];
  #gate: Promise<void> | null = null;
  #open: (() => void) | null = null;

  constructor(script: ('ok' | 'retryable' | 'final' | { retryAfterMs: number })[] = []) {
    this.#script = [...script];
  }

  /** Makes every send wait until `release` is called. */
  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  release(): void {
    this.#open?.();
    this.#gate = null;
  }

  async send(notice: Notice): Promise<void> {
    this.attempts.push(notice);
    if (this.#gate) await this.#gate;
    const step = this.#script.shift() ?? 'ok';
    if (step === 'ok') {
      this.sent.push(notice);
      return;
    }
    if (step === 'final')
      throw batchError('BATCH_NOTIFY_FAILED', 'notifier ops: answered 404', {
        details: { retryable: false },
      });
    const retryAfterMs = typeof step === 'object' ? step.retryAfterMs : undefined;
    throw batchError('BATCH_NOTIFY_FAILED', 'notifier ops: answered 503', {
      details: { retryable: true, retryAfterMs },
    });
  }
}

/** A BatchLog that keeps its lines. */
export function recordingLog() {
  const lines: { level: string; obj: object; msg: string | undefined }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => lines.push({ level, obj, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}
