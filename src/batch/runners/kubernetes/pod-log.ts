import { containerName } from './job-manifest.ts';
import type { KubeClient } from './kube-client.ts';

/** `2026-03-01T10:00:00.123456789Z` as nanoseconds, for ordering (RFC3339Nano drops trailing zeros). */
function nanos(stamp: string): bigint | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(stamp);
  if (!m) return null;
  const seconds = BigInt(Date.parse(`${m[1]}Z`) / 1000);
  return seconds * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/**
 * Follows a pod's log into the run log while the container runs, and reads what is left once it
 * has ended. Lines carry the kubelet's timestamps, so when the stream breaks and is opened again
 * (`sinceTime`, whole seconds) the lines already seen are skipped.
 *
 * @example
 * const log = new PodLog({ client, namespace, pod, onLine });
 * log.start();
 * // …the container ends…
 * await log.finish();
 */
export class PodLog {
  readonly #client: KubeClient;
  readonly #base: string;
  readonly #onLine: (line: string) => void;
  readonly #secrets: readonly string[];
  readonly #controller = new AbortController();
  /** The newest timestamp passed on, how many lines at it the current stream has sent, and how many were passed on. */
  #last: bigint = -1n;
  #atLast = 0;
  #seenAtLast = 0;
  #lastStamp: string | null = null;
  #ended = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  /** `secrets`: texts an over-long line is not cut inside (see LineSplitter). */
  constructor(props: {
    client: KubeClient;
    namespace: string;
    pod: string;
    onLine: (line: string) => void;
    secrets?: readonly string[] | undefined;
  }) {
    this.#client = props.client;
    this.#base = `/api/v1/namespaces/${props.namespace}/pods/${props.pod}/log?container=${containerName}&timestamps=true`;
    this.#onLine = props.onLine;
    this.#secrets = props.secrets ?? [];
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** The container has ended: reads the rest, waiting at most `maxWaitMs` for the stream to close. */
  async finish(maxWaitMs = 30_000): Promise<void> {
    this.#ended = true;
    this.start();
    this.#wake?.();
    const timer = setTimeout(() => this.#controller.abort(), maxWaitMs);
    try {
      await this.#loop;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops reading at once (the run was cancelled). */
  stop(): void {
    this.#ended = true;
    this.#controller.abort();
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const signal = this.#controller.signal;
    while (!signal.aborted) {
      // Once the container has ended, one plain read returns everything that is left.
      const last = this.#ended;
      const since = this.#lastStamp
        ? `&sinceTime=${encodeURIComponent(this.#lastStamp.replace(/\.\d+Z$/, 'Z'))}`
        : '';
      this.#atLast = 0;
      try {
        await this.#client.lines(
          `${this.#base}${last ? '' : '&follow=true'}${since}`,
          signal,
          (line) => this.#take(line),
          this.#secrets,
        );
      } catch {
        // The container may not be ready yet, or the connection broke: try again shortly.
      }
      if (last || signal.aborted) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 1000).unref();
      });
      this.#wake = null;
    }
  }

  #take(line: string): void {
    const space = line.indexOf(' ');
    const stamp = space > 0 ? line.slice(0, space) : line;
    const at = nanos(stamp);
    if (at === null) {
      this.#onLine(line);
      return;
    }
    const text = space > 0 ? line.slice(space + 1) : '';
    // A reopened stream repeats the last second: skip what is older, and at the newest instant
    // as many lines as were passed on before.
    if (at < this.#last) return;
    if (at === this.#last) {
      this.#atLast++;
      if (this.#atLast <= this.#seenAtLast) return;
      this.#seenAtLast = this.#atLast;
    } else {
      this.#last = at;
      this.#atLast = 1;
      this.#seenAtLast = 1;
    }
    this.#lastStamp = stamp;
    this.#onLine(text);
  }
}
