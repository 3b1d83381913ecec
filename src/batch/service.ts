import type { Db } from '../db/index.ts';
import { type Clock, type Ids, isoNow } from '../kernel/index.ts';
import { dateInZone, daysBetween, parseRunDate } from './dates.ts';
import { batchError } from './errors.ts';
import { type BatchLog, Executor } from './executor.ts';
import type { JobDefinition, JobsFile, RunnerKind } from './jobs-file.ts';
import { createNotifiers } from './notifiers/create-notifiers.ts';
import type { Notifier } from './notifiers/notifier.ts';
import { ALL_JOBS, type RunRow, RunStore, type RunTrigger } from './run-store.ts';
import { LocalRunner } from './runners/local/local-runner.ts';
import type { Runner } from './runners/runner.ts';
import { Scheduler, type TickResult } from './scheduler.ts';
import { type ResolvedJobs, resolveJobs } from './secrets.ts';
import { type JobView, type LogLine, logLine, type RunView, runView } from './views.ts';

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
  /** How often a running attempt looks for a cancel made by another process. Default 2 s. */
  cancelPollMs?: number;
  /** Output lines kept per attempt. Default 100 000. */
  maxLogLines?: number;
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
  /** Log lines after sequence number `after`; with `job`, only a run of that job. */
  logs(runId: string, opts?: { job?: string; after?: number; limit?: number }): Promise<LogLine[]>;
  pause(target: PauseTarget, reason?: string): Promise<void>;
  resume(target: PauseTarget): Promise<void>;
  /** Cancels a queued or running run; with `job`, only a run of that job. */
  cancel(runId: string, job?: string): Promise<RunView>;
  /** One queued run per day from `from` to `to`, in order; they run one at a time. */
  backfill(job: string, from: string, to: string): Promise<RunView[]>;
  /** One scheduler tick then one dispatch pass (the loop does this every `tickMs`). */
  tick(): Promise<TickResult>;
  /** Resolves when no attempt runs in this process and no dispatch is pending. */
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
  /** Stops the loop and waits for the attempts running in this process. */
  stop(): Promise<void>;
}

/**
 * Wires the batch launcher.
 *
 * @example
 * const batch = createBatchService({ db, clock, ids, jobs: readJobsFile('jobs.yaml'), env: process.env });
 * batch.start();
 * const { id } = await batch.startRun('warehouse', { date: '20260301' });
 */
export function createBatchService(deps: BatchServiceDeps): BatchService {
  return new BatchServiceImpl(deps);
}

const quietLog: BatchLog = { info: () => {}, warn: () => {}, error: () => {} };

class BatchServiceImpl implements BatchService {
  readonly #store: RunStore;
  readonly #clock: Clock;
  readonly #ids: Ids;
  readonly #env: Record<string, string | undefined>;
  readonly #log: BatchLog;
  readonly #opts: Required<BatchServiceOptions>;
  readonly #customNotifiers: Record<string, Notifier> | undefined;
  readonly #scheduler: Scheduler;
  readonly #executor: Executor;
  #resolved: ResolvedJobs;
  #byName = new Map<string, JobDefinition>();
  #notifiers: Record<string, Notifier>;
  #ready: Promise<void>;
  readonly #active = new Set<Promise<void>>();
  #dispatching: Promise<void> | null = null;
  #dispatchAgain = false;
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;

  constructor(deps: BatchServiceDeps) {
    this.#store = new RunStore(deps.db);
    this.#clock = deps.clock;
    this.#ids = deps.ids;
    this.#env = deps.env ?? {};
    this.#log = deps.log ?? quietLog;
    this.#opts = {
      tickMs: 1_000,
      concurrency: 100,
      missedAfterMs: 60_000,
      cancelPollMs: 2_000,
      maxLogLines: 100_000,
      ...deps.options,
    };
    this.#customNotifiers = deps.notifiers;
    this.#resolved = resolveJobs(deps.jobs, this.#env);
    this.#notifiers = deps.notifiers ?? createNotifiers(this.#resolved.notifiers);
    this.#index();
    this.#ready = this.#store.ensureJobStates([...this.#byName.keys()], isoNow(this.#clock));
    this.#scheduler = new Scheduler({
      store: this.#store,
      clock: this.#clock,
      ids: this.#ids,
      jobs: () => this.#resolved.jobs,
      missedAfterMs: this.#opts.missedAfterMs,
    });
    this.#executor = new Executor({
      store: this.#store,
      clock: this.#clock,
      runners: deps.runners ?? { local: new LocalRunner() },
      notifiers: () => this.#notifiers,
      masker: () => this.#resolved.masker,
      log: this.#log,
      cancelPollMs: this.#opts.cancelPollMs,
      maxLogLines: this.#opts.maxLogLines,
    });
  }

  #index(): void {
    this.#byName = new Map(this.#resolved.jobs.map((j) => [j.name, j]));
  }

  #job(name: string): JobDefinition {
    const job = this.#byName.get(name);
    if (!job) throw batchError('BATCH_JOB_NOT_FOUND', `no job named ${name}`);
    return job;
  }

  async listJobs(): Promise<JobView[]> {
    await this.#ready;
    const states = new Map((await this.#store.jobStates()).map((s) => [s.job, s]));
    const last = new Map((await this.#store.lastRuns()).map((r) => [r.job, r]));
    const all = states.get(ALL_JOBS);
    const now = this.#clock.now();
    return this.#resolved.jobs.map((job) => {
      const state = states.get(job.name);
      const pausedBy = all?.paused ? 'all' : state?.paused ? 'job' : null;
      const pause = pausedBy === 'all' ? all : pausedBy === 'job' ? state : undefined;
      const lastRun = last.get(job.name);
      return {
        name: job.name,
        endpoint: job.endpoint,
        description: job.description,
        schedule: job.schedule,
        timezone: job.timezone,
        runner: job.runner,
        image: job.image,
        cmd: job.cmd,
        args: job.args,
        envNames: Object.keys(job.env).sort(),
        retryable: job.retryable,
        maxAttempts: job.retry.attempts,
        timeoutMs: job.timeoutMs,
        overlap: job.overlap,
        catchup: job.catchup,
        notify: job.notify,
        paused: pausedBy !== null,
        pausedBy,
        pausedReason: pause?.paused_reason ?? null,
        pausedAt: pause?.paused_at ?? null,
        nextRunAt: this.#scheduler.scheduleOf(job)?.next(now)?.toISOString() ?? null,
        lastRun: lastRun ? runView(lastRun) : null,
      };
    });
  }

  async job(name: string): Promise<JobView> {
    this.#job(name);
    const views = await this.listJobs();
    return views.find((j) => j.name === name)!;
  }

  jobForEndpoint(endpoint: string): JobDefinition {
    const job = this.#resolved.jobs.find((j) => j.endpoint === endpoint);
    if (!job) throw batchError('BATCH_JOB_NOT_FOUND', `no job is declared with the endpoint ${endpoint}`);
    return job;
  }

  async startRun(
    name: string,
    opts: { date?: string; trigger?: Exclude<RunTrigger, 'schedule'> } = {},
  ): Promise<RunView> {
    const job = this.#job(name);
    const date =
      opts.date === undefined ? dateInZone(this.#clock.now(), job.timezone) : parseRunDate(opts.date);
    await this.#ready;
    const row = this.#newRun(job, date, opts.trigger ?? 'manual');
    await this.#store.insertRuns([row]);
    this.#kick();
    return runView(row);
  }

  async backfill(name: string, from: string, to: string): Promise<RunView[]> {
    const job = this.#job(name);
    const rows = daysBetween(from, to).map((date) => this.#newRun(job, date, 'backfill'));
    await this.#ready;
    await this.#store.insertRuns(rows);
    this.#kick();
    return rows.map(runView);
  }

  #newRun(job: JobDefinition, date: string, trigger: RunTrigger): RunRow {
    const now = isoNow(this.#clock);
    return {
      id: this.#ids.id('run'),
      job: job.name,
      date,
      trigger,
      scheduled_for: null,
      status: 'queued',
      attempt: 0,
      max_attempts: job.retry.attempts,
      exit_code: null,
      error: null,
      created_at: now,
      started_at: null,
      finished_at: null,
      next_attempt_at: now,
    };
  }

  async run(runId: string, job?: string): Promise<RunView> {
    const row = await this.#store.getRun(runId);
    if (!row || (job !== undefined && row.job !== job)) {
      throw batchError('BATCH_RUN_NOT_FOUND', job ? `no run ${runId} of ${job}` : `no run ${runId}`);
    }
    return runView(row);
  }

  async runs(job?: string, opts: { limit?: number } = {}): Promise<RunView[]> {
    if (job !== undefined) this.#job(job);
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
    return (await this.#store.listRuns(job, limit)).map(runView);
  }

  async logs(runId: string, opts: { job?: string; after?: number; limit?: number } = {}): Promise<LogLine[]> {
    await this.run(runId, opts.job);
    const limit = Math.min(Math.max(opts.limit ?? 1000, 1), 10_000);
    return (await this.#store.logs(runId, opts.after ?? 0, limit)).map(logLine);
  }

  async pause(target: PauseTarget, reason?: string): Promise<void> {
    await this.#ready;
    const key = 'all' in target ? ALL_JOBS : this.#job(target.job).name;
    await this.#store.setPaused(key, true, reason?.trim() || null, isoNow(this.#clock));
  }

  async resume(target: PauseTarget): Promise<void> {
    await this.#ready;
    const key = 'all' in target ? ALL_JOBS : this.#job(target.job).name;
    await this.#store.setPaused(key, false, null, isoNow(this.#clock));
    if (this.#timer) void this.tick().catch((error) => this.#log.error({ err: error }, 'batch tick failed'));
    else this.#kick();
  }

  async cancel(runId: string, job?: string): Promise<RunView> {
    await this.run(runId, job);
    const at = isoNow(this.#clock);
    const ok = await this.#store.finish(runId, ['queued', 'running'], {
      status: 'cancelled',
      error: 'cancelled',
      at,
    });
    if (!ok) throw batchError('BATCH_RUN_FINISHED', `run ${runId} has already ended`);
    this.#executor.stop(runId, 'cancel');
    return this.run(runId);
  }

  async tick(): Promise<TickResult> {
    await this.#ready;
    const result = await this.#scheduler.tick();
    await this.#dispatch();
    return result;
  }

  async idle(): Promise<void> {
    while (this.#active.size > 0 || this.#dispatching) {
      await Promise.allSettled([...this.#active, this.#dispatching]);
    }
  }

  async settle(
    runIds: string[],
    opts: { pollMs?: number; onProgress?: (runs: RunView[]) => void } = {},
  ): Promise<RunView[]> {
    let last = '';
    for (;;) {
      this.#kick();
      await this.idle();
      const runs = await Promise.all(runIds.map((id) => this.run(id)));
      const key = JSON.stringify(runs.map((r) => [r.status, r.attempt]));
      if (key !== last) opts.onProgress?.(runs);
      last = key;
      const states = await this.#store.jobStates();
      const paused = new Set(states.filter((s) => s.paused === 1).map((s) => s.job));
      const now = isoNow(this.#clock);
      const settled = runs.every(
        (r) =>
          !['queued', 'running'].includes(r.status) ||
          (r.status === 'queued' &&
            (paused.has(ALL_JOBS) || paused.has(r.job) || (r.nextAttemptAt ?? '') > now)),
      );
      if (settled) return runs;
      await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 250));
    }
  }

  async reload(jobs: JobsFile): Promise<void> {
    const resolved = resolveJobs(jobs, this.#env);
    await this.#store.ensureJobStates(
      resolved.jobs.map((j) => j.name),
      isoNow(this.#clock),
    );
    this.#resolved = resolved;
    this.#notifiers = this.#customNotifiers ?? createNotifiers(resolved.notifiers);
    this.#index();
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#ticking) return;
      this.#ticking = true;
      this.tick()
        .catch((error) => this.#log.error({ err: error }, 'batch tick failed'))
        .finally(() => {
          this.#ticking = false;
        });
    }, this.#opts.tickMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.idle();
  }

  /** Starts a dispatch pass now, or right after the one in progress. */
  #kick(): void {
    void this.#dispatch().catch((error) => this.#log.error({ err: error }, 'batch dispatch failed'));
  }

  #dispatch(): Promise<void> {
    if (this.#dispatching) {
      this.#dispatchAgain = true;
      return this.#dispatching;
    }
    this.#dispatching = (async () => {
      try {
        do {
          this.#dispatchAgain = false;
          await this.#dispatchOnce();
        } while (this.#dispatchAgain);
      } finally {
        this.#dispatching = null;
      }
    })();
    return this.#dispatching;
  }

  async #dispatchOnce(): Promise<void> {
    const free = this.#opts.concurrency - this.#active.size;
    if (free <= 0) return;
    const states = await this.#store.jobStates();
    if (states.some((s) => s.job === ALL_JOBS && s.paused === 1)) return;
    const paused = new Set(states.filter((s) => s.paused === 1).map((s) => s.job));
    const jobs = [...this.#byName.keys()].filter((j) => !paused.has(j));
    const now = isoNow(this.#clock);
    const due = await this.#store.dueRuns(now, jobs, 20, free + 100);
    // Runs that may overlap go as they are; the others one per job, the first in line.
    const allow: RunRow[] = [];
    const heads = new Map<string, { run: RunRow; policy: string }>();
    for (const run of due) {
      const job = this.#byName.get(run.job);
      if (!job) continue;
      const policy = run.trigger === 'backfill' || run.attempt > 0 ? 'queue' : job.overlap;
      if (policy === 'allow') allow.push(run);
      else if (!heads.has(run.job)) heads.set(run.job, { run, policy });
    }
    for (const { run, policy } of heads.values()) {
      if (policy !== 'replace') continue;
      for (const id of await this.#store.cancelRunningOf(run.job, `replaced by run ${run.id}`, now)) {
        this.#executor.stop(id, 'cancel');
      }
    }
    const exclusive = [...heads.values()].map((h) => h.run);
    const claimed = [
      ...(await this.#store.claim(exclusive.slice(0, free), 'exclusive', now)),
      ...(await this.#store.claim(allow.slice(0, Math.max(free - exclusive.length, 0)), 'allow', now)),
    ];
    for (const run of claimed) this.#launch(run, this.#byName.get(run.job)!);
    const won = new Set(claimed.map((r) => r.id));
    const blocked = [...heads.values()]
      .filter((h) => h.policy === 'skip' && !won.has(h.run.id))
      .map((h) => h.run.id);
    await this.#store.skipBlocked(blocked, 'skipped: another run of this job was still running', now);
  }

  #launch(run: RunRow, job: JobDefinition): void {
    const p: Promise<void> = this.#executor
      .execute(run, job)
      .catch((error) => this.#log.error({ err: error, runId: run.id }, 'batch run failed to record'))
      .finally(() => {
        this.#active.delete(p);
        // A finished run may let a queued run of the same job (or a waiting slot) go.
        this.#kick();
      });
    this.#active.add(p);
  }
}
