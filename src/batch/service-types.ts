import type { Db } from '../db/index.ts';
import type { Clock, Ids } from '../kernel/index.ts';
import type { BatchLog } from './executor.ts';
import type { JobDefinition, JobsFile, RunnerKind } from './jobs-file.ts';
import type { NotifierContext } from './notifiers/create-notifiers.ts';
import type { Notifier } from './notifiers/notifier.ts';
import type { RunTrigger } from './run-store.ts';
import type { Runner } from './runners/runner.ts';
import type { TickResult } from './scheduler.ts';
import type { JobView, LogLine, RunView } from './views.ts';

export interface BatchServiceDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
  /** The validated jobs.yaml (see `readJobsFile`); `${NAME}` references still unresolved. */
  jobs: JobsFile;
  /** Where `${NAME}` references resolve from: the server's environment. */
  env?: Record<string, string | undefined>;
  /** By runner kind; the local runner is there by default. */
  runners?: Partial<Record<RunnerKind, Runner>>;
  /** By name; by default built from the file's `notifiers:`. */
  notifiers?: Record<string, Notifier>;
  /** Public URL, SMTP server and transports for the notifiers built from the file. */
  notifierContext?: NotifierContext;
  log?: BatchLog;
  options?: BatchServiceOptions;
}

export interface BatchServiceOptions {
  /** Scheduler loop period (real time) once started. Default 1 s. */
  tickMs?: number;
  /** Attempts running at once in this process. Default 100. */
  concurrency?: number;
  /** With `catchup: skip`, how late an instant may still fire. Default 60 s. */
  missedAfterMs?: number;
  /**
   * How often this process writes the heartbeat of its running attempts (and so learns of a
   * cancel made by another process). Default 2 s.
   */
  cancelPollMs?: number;
  /**
   * A running run whose heartbeat is older than this lost its process (killed, machine gone):
   * the scheduler's tick recovers it as a failed attempt — retried or failed and notified.
   * Default 60 s; keep it well above `cancelPollMs`.
   */
  staleAfterMs?: number;
  /**
   * On `stop()`, how long the attempts running in this process may go on before they are stopped
   * and recorded as interrupted (retried later if the job is retryable). Default 10 s.
   */
  stopGraceMs?: number;
  /** Output lines kept per attempt. Default 100 000. */
  maxLogLines?: number;
  /**
   * Start only the runs this service itself created (`startRun`, `backfill`) and their retries,
   * never another queued run: what the CLI's `jobs run` and `jobs backfill` use, so a command
   * waits for its own runs alone and others' stay queued for a serve. Default false.
   */
  ownRunsOnly?: boolean;
}

/** What one tick did. */
export interface BatchTick extends TickResult {
  /** Runs left running by a process that stopped, recovered by this tick (see `staleAfterMs`). */
  recovered: string[];
}

/** The end of a run's log: its last lines and the count of the stored lines before them. */
export interface LogTail {
  logs: LogLine[];
  earlier: number;
}

export type PauseTarget = { job: string } | { all: true };

/** The batch launcher: jobs, runs, scheduler, pause, backfill. See {@link createBatchService}. */
export interface BatchService {
  listJobs(): Promise<JobView[]>;
  /** One job with its state; BATCH_JOB_NOT_FOUND when no job has that name. */
  job(name: string): Promise<JobView>;
  /** The job declared with this endpoint (e.g. `/ibis/update_answer`); BATCH_JOB_NOT_FOUND otherwise. */
  jobForEndpoint(endpoint: string): JobDefinition;
  /** Queues a run and returns at once; without a date, today in the job's time zone. */
  startRun(
    job: string,
    opts?: { date?: string; trigger?: Exclude<RunTrigger, 'schedule'> },
  ): Promise<RunView>;
  /** A run; with `job`, BATCH_RUN_NOT_FOUND unless the run belongs to that job. */
  run(runId: string, job?: string): Promise<RunView>;
  runs(job?: string, opts?: { limit?: number }): Promise<RunView[]>;
  /**
   * Log lines after sequence number `after` (at most `limit`, 1–10,000); with `tail`, the last
   * `tail` lines (1–10,000) in order instead; with `job`, only a run of that job.
   */
  logs(
    runId: string,
    opts?: { job?: string; after?: number; limit?: number; tail?: number },
  ): Promise<LogLine[]>;
  /** The last `lines` lines of a run's log (1–10,000), in order, and how many stored lines precede them. */
  logTail(runId: string, opts: { job?: string; lines: number }): Promise<LogTail>;
  pause(target: PauseTarget, reason?: string): Promise<void>;
  resume(target: PauseTarget): Promise<void>;
  /** Cancels a queued or running run; with `job`, only a run of that job. */
  cancel(runId: string, job?: string): Promise<RunView>;
  /** One queued run per day from `from` to `to`, in order; they run one at a time. */
  backfill(job: string, from: string, to: string): Promise<RunView[]>;
  /**
   * One scheduler tick, the recovery of runs whose process stopped, then one dispatch pass (the
   * loop does this every `tickMs`).
   */
  tick(): Promise<BatchTick>;
  /** Resolves when no attempt runs in this process, no dispatch is pending and no notice waits. */
  idle(): Promise<void>;
  /**
   * Drives the given runs (in this process, or waiting for another) until each has ended, waits
   * for a retry, or belongs to a paused job; `onProgress` sees every change. For the CLI.
   */
  settle(
    runIds: string[],
    opts?: { pollMs?: number; onProgress?: (runs: RunView[]) => void },
  ): Promise<RunView[]>;
  /** Replaces the job list (SIGHUP, console); runs in progress go on. */
  reload(jobs: JobsFile): Promise<void>;
  start(): void;
  /**
   * This process only queues runs (API, console, backfills) and leaves starting them to the
   * scheduler processes: what `serve --role web` calls, so web replicas stay stateless.
   */
  queueOnly(): void;
  /**
   * Stops the loop and starts nothing more; waits up to `stopGraceMs` (or `graceMs`) for the
   * attempts running in this process, stops those still going (recorded as interrupted), then
   * sends held notices.
   */
  stop(opts?: { graceMs?: number }): Promise<void>;
}
