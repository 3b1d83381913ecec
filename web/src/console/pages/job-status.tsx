import { formatInstant, type Job, type Run, type RunStatus } from './jobs-api.ts';

const bad: RunStatus[] = ['failed', 'cancelled'];

/** A run's status as a tag; failed and cancelled ones stand out. */
export function RunStatusTag({ status }: { status: RunStatus }) {
  return (
    <span className={bad.includes(status) ? 'tag tag-bad' : 'tag'} data-status={status}>
      {status}
    </span>
  );
}

/** A run's attempts: `2/3`, with the next attempt's time while a retry waits. */
export function Attempts({ run }: { run: Run }) {
  const waiting = run.status === 'queued' && run.attempt > 0 && run.nextAttemptAt;
  return (
    <>
      {run.attempt}/{run.maxAttempts}
      {waiting ? <span className="muted"> · retry at {formatInstant(run.nextAttemptAt!)}</span> : null}
    </>
  );
}

/** Paused or not, and why: by the job's own pause or by "pause all". */
export function PauseState({ job }: { job: Job }) {
  if (!job.paused) return <span data-paused="no">active</span>;
  const by = job.pausedBy === 'all' ? 'paused (all jobs)' : 'paused';
  return (
    <span data-paused="yes">
      <span className="tag tag-bad">{by}</span>
      {job.pausedReason ? <span className="muted"> {job.pausedReason}</span> : null}
    </span>
  );
}

/** The schedule in words (when it has a common shape) with its cron text and zone. */
export function ScheduleText({ job }: { job: Job }) {
  if (!job.schedule) return <span className="muted">on demand</span>;
  return (
    <span>
      {job.scheduleText ?? <span className="muted">custom</span>}
      <br />
      <code>{job.schedule}</code>
    </span>
  );
}
