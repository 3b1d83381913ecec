/** What happened to a job, as told to people. Texts are already masked. */
export interface BatchEvent {
  /** `failed`: the last attempt of a run failed. `recovered`: a run succeeded after a failed one. */
  kind: 'failed' | 'recovered';
  job: string;
  runId: string;
  /** The run's date, YYYYMMDD. */
  date: string;
  trigger: string;
  attempts: number;
  exitCode: number | null;
  error: string | null;
  /** ISO instant of the event. */
  at: string;
  /** The last lines the job printed in its last attempt (secrets masked), oldest first. */
  logTail: string[];
}

/**
 * One message for a channel: a single event, or a digest of the events that a notifier's rate
 * limit held back during one window (`omitted` counts those beyond the digest's detail cap).
 */
export type Notice =
  | { kind: 'event'; event: BatchEvent }
  | { kind: 'digest'; events: BatchEvent[]; omitted: number };

/**
 * The port the executor calls, once per event and notifier. `notify` only hands the event over
 * and resolves at once: delivery (rate limit, retries) happens behind it, so a notifier outage
 * never holds a run. `idle` resolves when nothing is being delivered; `close` also sends what
 * the rate limit holds back, then waits.
 *
 * @example
 * await notifier.notify(event);
 * await notifier.idle();
 */
export interface Notifier {
  readonly name: string;
  notify(event: BatchEvent): Promise<void>;
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One way of telling people (generic webhook, Slack, e-mail): a single delivery attempt per
 * call. It throws BATCH_NOTIFY_FAILED with `details.retryable` (and `details.retryAfterMs` when
 * the other side said when) so that the queue in front of it knows whether to try again.
 *
 * @example
 * await channel.send({ kind: 'event', event });
 */
export interface Channel {
  readonly name: string;
  send(notice: Notice): Promise<void>;
}

/** One line for people, e.g. `warehouse 20260301 failed after 3 attempts: exit code 1 (run r1)`. */
export function summary(event: BatchEvent): string {
  if (event.kind === 'recovered') return `${event.job} ${event.date} succeeded again (run ${event.runId})`;
  const attempts = event.attempts === 1 ? '1 attempt' : `${event.attempts} attempts`;
  return `${event.job} ${event.date} failed after ${attempts}: ${event.error ?? `exit code ${event.exitCode}`} (run ${event.runId})`;
}

/** The headline of a digest, e.g. `12 batch notifications held back by the rate limit of ops`. */
export function digestTitle(notifier: string, notice: Extract<Notice, { kind: 'digest' }>): string {
  const n = notice.events.length + notice.omitted;
  return `${n} batch notification${n === 1 ? '' : 's'} held back by the rate limit of ${notifier}`;
}

/**
 * The console page of a run (`<publicUrl>/jobs/<job>?run=<id>`), or of all jobs without a run;
 * null when no public URL is configured.
 */
export function consoleLink(publicUrl: string | null, job?: string, runId?: string): string | null {
  if (!publicUrl) return null;
  const base = publicUrl.replace(/\/+$/, '');
  if (job === undefined) return `${base}/jobs`;
  const page = `${base}/jobs/${encodeURIComponent(job)}`;
  return runId === undefined ? page : `${page}?run=${encodeURIComponent(runId)}`;
}
