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
}

/**
 * The port of every notification channel (generic webhook now; Slack and e-mail later). The
 * service calls `notify` once per event and notifier; a notifier retries its own delivery and
 * throws only when it finally gave up.
 *
 * @example
 * await notifier.notify({ kind: 'failed', job: 'warehouse', runId, date, trigger: 'schedule', attempts: 3, exitCode: 1, error, at });
 */
export interface Notifier {
  readonly name: string;
  notify(event: BatchEvent): Promise<void>;
}

/** One line for people, e.g. `warehouse 20260301 failed after 3 attempts: exit code 1`. */
export function summary(event: BatchEvent): string {
  if (event.kind === 'recovered') return `${event.job} ${event.date} succeeded again (run ${event.runId})`;
  const attempts = event.attempts === 1 ? '1 attempt' : `${event.attempts} attempts`;
  return `${event.job} ${event.date} failed after ${attempts}: ${event.error ?? `exit code ${event.exitCode}`} (run ${event.runId})`;
}
