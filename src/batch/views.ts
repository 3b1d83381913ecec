import type { BatchJobStateTable } from '../db/index.ts';
import type { JobDefinition } from './jobs-file.ts';
import type { LogRow, RunRow, RunStatus, RunTrigger } from './run-store.ts';
import { describeSchedule } from './schedule-words.ts';

/** A run as the API, the CLI and the console show it. */
export interface RunView {
  id: string;
  job: string;
  date: string;
  trigger: RunTrigger;
  scheduledFor: string | null;
  status: RunStatus;
  attempt: number;
  maxAttempts: number;
  exitCode: number | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  nextAttemptAt: string | null;
  /** From the first start to the end, once finished. */
  durationMs: number | null;
}

/** A job with its state. Env values are never shown, only their names. */
export interface JobView {
  name: string;
  endpoint: string;
  description: string | null;
  schedule: string | null;
  /** The schedule in words (`every day at 02:30`); null for uncommon shapes or no schedule. */
  scheduleText: string | null;
  timezone: string;
  runner: JobDefinition['runner'];
  image: string | null;
  cmd: string | string[] | null;
  args: string[];
  envNames: string[];
  retryable: boolean;
  maxAttempts: number;
  timeoutMs: number | null;
  jitterMs: number;
  overlap: JobDefinition['overlap'];
  catchup: JobDefinition['catchup'];
  notify: string[];
  paused: boolean;
  /** `job` when the job itself is paused, `all` when every job is. */
  pausedBy: 'job' | 'all' | null;
  pausedReason: string | null;
  pausedAt: string | null;
  nextRunAt: string | null;
  lastRun: RunView | null;
}

export interface LogLine {
  seq: number;
  at: string;
  stream: LogRow['stream'];
  text: string;
}

export function runView(r: RunRow): RunView {
  return {
    id: r.id,
    job: r.job,
    date: r.date,
    trigger: r.trigger,
    scheduledFor: r.scheduled_for,
    status: r.status,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    exitCode: r.exit_code,
    error: r.error,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    nextAttemptAt: r.next_attempt_at,
    durationMs:
      r.started_at && r.finished_at
        ? new Date(r.finished_at).getTime() - new Date(r.started_at).getTime()
        : null,
  };
}

/** A log line as text, as `enquete jobs logs` and the log download print it: time, stream, text. */
export function logLineText(l: LogLine): string {
  return `${l.at} ${l.stream.padEnd(6)} ${l.text}`;
}

export function logLine(r: LogRow): LogLine {
  return { seq: r.seq, at: r.at, stream: r.stream, text: r.text };
}

/** A job with its pause state (its own row and the pause-all row), its last run and next instant. */
export function jobView(
  job: JobDefinition,
  at: { state?: BatchJobStateTable; all?: BatchJobStateTable; lastRun?: RunRow; nextRunAt: Date | null },
): JobView {
  const pausedBy = at.all?.paused ? 'all' : at.state?.paused ? 'job' : null;
  const pause = pausedBy === 'all' ? at.all : pausedBy === 'job' ? at.state : undefined;
  return {
    name: job.name,
    endpoint: job.endpoint,
    description: job.description,
    schedule: job.schedule,
    scheduleText: job.schedule === null ? null : describeSchedule(job.schedule),
    timezone: job.timezone,
    runner: job.runner,
    image: job.image,
    cmd: job.cmd,
    args: job.args,
    envNames: Object.keys(job.env).sort(),
    retryable: job.retryable,
    maxAttempts: job.retry.attempts,
    timeoutMs: job.timeoutMs,
    jitterMs: job.jitterMs,
    overlap: job.overlap,
    catchup: job.catchup,
    notify: job.notify,
    paused: pausedBy !== null,
    pausedBy,
    pausedReason: pause?.paused_reason ?? null,
    pausedAt: pause?.paused_at ?? null,
    nextRunAt: at.nextRunAt?.toISOString() ?? null,
    lastRun: at.lastRun ? runView(at.lastRun) : null,
  };
}
