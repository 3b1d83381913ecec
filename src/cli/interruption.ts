/**
 * SIGINT and SIGTERM caught while a command works in the foreground: the first one is handed to
 * what the command registered with `onSignal` (which should make the work end soon), a second one
 * ends the process at once. When the work is done, `end()` lets the signal go on as if it had not
 * been caught: the process dies by it, so that a shell running the command in a loop stops too.
 *
 * @example
 * await interruptible(async (interruption) => {
 *   interruption.onSignal((signal) => void cancelWork(signal));
 *   await work();
 * });
 */
export class Interruption {
  static readonly signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  #signal: NodeJS.Signals | null = null;
  #react: ((signal: NodeJS.Signals) => void) | null = null;
  readonly #listener = (signal: NodeJS.Signals) => {
    if (this.#signal) {
      this.#dieBy(signal);
      return;
    }
    this.#signal = signal;
    this.#react?.(signal);
  };

  constructor() {
    for (const s of Interruption.signals) process.on(s, this.#listener);
  }

  /** The first signal that came, if one did. */
  get signal(): NodeJS.Signals | null {
    return this.#signal;
  }

  /** What to do on the first signal; called at once when it came already. */
  onSignal(react: (signal: NodeJS.Signals) => void): void {
    this.#react = react;
    if (this.#signal) react(this.#signal);
  }

  /** Stops catching the signals; when one came and `finished`, the process dies by it now. */
  end(finished: boolean): void {
    for (const s of Interruption.signals) process.removeListener(s, this.#listener);
    if (finished && this.#signal) this.#dieBy(this.#signal);
  }

  #dieBy(signal: NodeJS.Signals): void {
    for (const s of Interruption.signals) process.removeListener(s, this.#listener);
    process.kill(process.pid, signal);
  }
}

/** Runs `fn` with SIGINT and SIGTERM caught as an {@link Interruption}. */
export async function interruptible<T>(fn: (interruption: Interruption) => Promise<T>): Promise<T> {
  const interruption = new Interruption();
  let finished = false;
  try {
    const result = await fn(interruption);
    finished = true;
    return result;
  } finally {
    interruption.end(finished);
  }
}
