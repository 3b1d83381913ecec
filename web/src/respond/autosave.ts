/**
 * Saves the respondent's answers in the background: value changes are debounced, page changes
 * save at once, and at most one request is in flight. Each request sends the latest snapshot, so
 * a burst of changes becomes one save and answers never arrive out of order.
 *
 * @example
 * const autosave = new Autosave({ snapshot: () => ({ data: model.data, page: model.currentPageNo }),
 *   send: (body) => respondApi.save(token, body), delayMs: 800, onResult: showSaveState });
 * model.onValueChanged.add(() => autosave.schedule());
 */
export class Autosave<T> {
  private readonly snapshot: () => T;
  private readonly send: (body: T, keepalive: boolean) => Promise<void>;
  private readonly delayMs: number;
  private readonly onResult: (error: unknown | null) => void;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private dirty = false;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(props: {
    snapshot: () => T;
    send: (body: T, keepalive: boolean) => Promise<void>;
    delayMs: number;
    /** Called after each request: null when it succeeded, else the error. */
    onResult: (error: unknown | null) => void;
  }) {
    this.snapshot = props.snapshot;
    this.send = props.send;
    this.delayMs = props.delayMs;
    this.onResult = props.onResult;
  }

  /** A value changed: save after a quiet moment. */
  schedule(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, this.delayMs);
  }

  /** The page changed: save now (after the request in flight, if any). */
  saveNow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.dirty = true;
    this.clearTimer();
    return this.run();
  }

  /** The page is going away: send what is pending with `keepalive`, without waiting. */
  flushOnUnload(): void {
    if (this.stopped || !this.dirty) return;
    this.clearTimer();
    this.dirty = false;
    this.send(this.snapshot(), true).catch(() => {});
  }

  /** No more saves (the response is being completed); resolves when the request in flight is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    this.dirty = false;
    await this.running;
  }

  /** Saves may start again (completion was refused). */
  resume(): void {
    this.stopped = false;
  }

  private run(): Promise<void> {
    if (!this.running) {
      this.running = this.loop().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.stopped) {
      this.dirty = false;
      try {
        await this.send(this.snapshot(), false);
        this.onResult(null);
      } catch (error) {
        this.onResult(error);
      }
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
