import { type Clock, type Ids, isoNow } from '../kernel/index.ts';
import { dateInZone, daysBetween, parseRunDate } from './dates.ts';
import { Dispatcher } from './dispatcher.ts';
import { batchError } from './errors.ts';
import { type BatchLog, Executor } from './executor.ts';
import type { JobDefinition, JobsFile } from './jobs-file.ts';
import { createNotifiers, type NotifierContext } from './notifiers/create-notifiers.ts';
import type { Notifier } from './notifiers/notifier.ts';
import { ALL_JOBS, type RunRow, RunStore, type RunTrigger } from './run-store.ts';
import { createRunners } from './runners/create-runners.ts';
import { type ResolvedRunnerSettings, resolveRunnerSettings } from './runners/runner-settings.ts';
import { Scheduler } from './scheduler.ts';
import { type ResolvedJobs, resolveJobs } from './secrets.ts';
import type {
  BatchService,
  BatchServiceDeps,
  BatchServiceOptions,
  BatchTick,
  LogTail,
  PauseTarget,
} from './service-types.ts';
import { type JobView, jobView, type LogLine, logLine, type RunView, runView } from './views.ts';

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

/** How long after a tick's instant the loop ticks (see `#untilNextTick`). */
const tickMarginMs = 5;

const quietLog: BatchLog = { info: () => {}, warn: () => {}, error: () => {} };

class BatchServiceImpl implements BatchService {
  readonly #store: RunStore;
  readonly #clock: Clock;
  readonly #ids: Ids;
  readonly #env: Record<string, string | undefined>;
  readonly #log: BatchLog;
  readonly #opts: Required<BatchServiceOptions>;
  readonly #customNotifiers: Record<string, Notifier> | undefined;
  readonly #notifierContext: NotifierContext;
  readonly #scheduler: Scheduler;
  readonly #executor: Executor;
  #resolved: ResolvedJobs;
  #runnerSettings: ResolvedRunnerSettings;
  #byName = new Map<string, JobDefinition>();
  #notifiers: Record<string, Notifier>;
  #readyPromise: Promise<void> | undefined;
  /** When this service learned its jobs: a job's schedule counts from here, not from first use. */
  readonly #since: string;
  readonly #dispatcher: Dispatcher;
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;
  #queueOnly = false;
  /** The runs this service created: with `ownRunsOnly`, the only ones it starts. */
  readonly #own = new Set<string>();

  /**
   * The job rows, written on first use rather than in the constructor: a short-lived context (a
   * CLI command that never touches batch) must not leave a write running after it closes the db.
   */
  get #ready(): Promise<void> {
    this.#readyPromise ??= this.#store.ensureJobStates([...this.#byName.keys()], this.#since);
    return this.#readyPromise;
  }

  constructor(deps: BatchServiceDeps) {
    this.#store = new RunStore(deps.db);
    this.#clock = deps.clock;
    this.#since = isoNow(deps.clock);
    this.#ids = deps.ids;
    this.#env = deps.env ?? {};
    this.#log = deps.log ?? quietLog;
    this.#opts = {
      tickMs: 1_000,
      concurrency: 100,
      missedAfterMs: 60_000,
      cancelPollMs: 2_000,
      staleAfterMs: 60_000,
      stopGraceMs: 10_000,
      maxLogLines: 100_000,
      ownRunsOnly: false,
      ...deps.options,
    };
    this.#customNotifiers = deps.notifiers;
    this.#resolved = resolveJobs(deps.jobs, this.#env);
    this.#runnerSettings = resolveRunnerSettings(deps.jobs, this.#env);
    this.#notifierContext = { log: this.#log, ...deps.notifierContext };
    this.#notifiers = deps.notifiers ?? createNotifiers(this.#resolved.notifiers, this.#notifierContext);
    this.#index();
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
      runners:
        deps.runners ??
        createRunners({
          settings: () => this.#runnerSettings,
          masker: () => this.#resolved.masker,
          env: this.#env,
        }),
      notifiers: () => this.#notifiers,
      masker: () => this.#resolved.masker,
      log: this.#log,
      cancelPollMs: this.#opts.cancelPollMs,
      maxLogLines: this.#opts.maxLogLines,
    });
    this.#dispatcher = new Dispatcher({
      store: this.#store,
      clock: this.#clock,
      executor: this.#executor,
      jobs: () => this.#byName,
      concurrency: this.#opts.concurrency,
      log: this.#log,
      only: this.#opts.ownRunsOnly ? this.#own : undefined,
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
    return this.#resolved.jobs.map((job) =>
      jobView(job, {
        state: states.get(job.name),
        all,
        lastRun: last.get(job.name),
        nextRunAt: this.#scheduler.scheduleOf(job)?.next(now) ?? null,
      }),
    );
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
    this.#own.add(row.id);
    this.#kick();
    return runView(row);
  }

  async backfill(name: string, from: string, to: string): Promise<RunView[]> {
    const job = this.#job(name);
    const rows = daysBetween(from, to).map((date) => this.#newRun(job, date, 'backfill'));
    await this.#ready;
    await this.#store.insertRuns(rows);
    for (const r of rows) this.#own.add(r.id);
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
      heartbeat_at: null,
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

  async logs(
    runId: string,
    opts: { job?: string; after?: number; limit?: number; tail?: number } = {},
  ): Promise<LogLine[]> {
    if (opts.tail !== undefined) return (await this.logTail(runId, { job: opts.job, lines: opts.tail })).logs;
    await this.run(runId, opts.job);
    const limit = Math.min(Math.max(opts.limit ?? 1000, 1), 10_000);
    return (await this.#store.logs(runId, opts.after ?? 0, limit)).map(logLine);
  }

  async logTail(runId: string, opts: { job?: string; lines: number }): Promise<LogTail> {
    await this.run(runId, opts.job);
    const lines = Math.min(Math.max(Math.trunc(opts.lines), 1), 10_000);
    const { rows, earlier } = await this.#store.tailLogs(runId, lines);
    return { logs: rows.map(logLine), earlier };
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

  queueOnly(): void {
    this.#queueOnly = true;
  }

  /** Starts what is due here, unless this process only queues. */
  #kick(): void {
    if (!this.#queueOnly) this.#dispatcher.kick();
  }

  async tick(): Promise<BatchTick> {
    await this.#ready;
    const result = await this.#scheduler.tick();
    const recovered = await this.#executor.recoverStale(this.#byName, this.#opts.staleAfterMs);
    await this.#dispatcher.dispatch();
    return { ...result, recovered };
  }

  async idle(): Promise<void> {
    await this.#dispatcher.idle();
    await Promise.all(Object.values(this.#notifiers).map((n) => n.idle()));
  }

  async settle(
    runIds: string[],
    opts: { pollMs?: number; onProgress?: (runs: RunView[]) => void } = {},
  ): Promise<RunView[]> {
    let last = '';
    for (;;) {
      this.#dispatcher.kick();
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
    const runnerSettings = resolveRunnerSettings(jobs, this.#env);
    await this.#store.ensureJobStates(
      resolved.jobs.map((j) => j.name),
      isoNow(this.#clock),
    );
    this.#resolved = resolved;
    this.#runnerSettings = runnerSettings;
    const previous = this.#notifiers;
    this.#notifiers = this.#customNotifiers ?? createNotifiers(resolved.notifiers, this.#notifierContext);
    // The replaced notifiers send what they hold and finish their deliveries on their own.
    if (previous !== this.#notifiers) {
      for (const n of Object.values(previous)) {
        void n.close().catch((error) => this.#log.error({ err: error }, 'notifier close failed'));
      }
    }
    this.#index();
  }

  start(): void {
    if (this.#timer) return;
    const arm = () => {
      this.#timer = setTimeout(() => {
        arm();
        if (this.#ticking) return;
        this.#ticking = true;
        this.tick()
          .catch((error) => this.#log.error({ err: error }, 'batch tick failed'))
          .finally(() => {
            this.#ticking = false;
          });
      }, this.#untilNextTick());
    };
    arm();
  }

  /**
   * Ticks fall just after each multiple of `tickMs` on the clock, where cron instants fall (whole
   * seconds), so every scheduler process looks right after an instant rather than up to a tick
   * late at a phase set by its start. The margin keeps a timer that fires a millisecond early
   * from missing the instant.
   */
  #untilNextTick(): number {
    const period = this.#opts.tickMs;
    return period - (this.#clock.now().getTime() % period) + tickMarginMs;
  }

  async stop(opts: { graceMs?: number } = {}): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dispatcher.close();
    const running = this.#executor.running;
    const graceMs = opts.graceMs ?? this.#opts.stopGraceMs;
    if (running > 0) {
      this.#log.info({ running, graceMs }, 'batch: waiting for running attempts');
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      });
      const over = await Promise.race([this.#dispatcher.idle().then(() => false), graceOver]);
      clearTimeout(timer);
      if (over) {
        this.#log.warn({ running: this.#executor.running }, 'batch: stopping the attempts still running');
        this.#executor.interruptAll();
      }
    }
    await this.idle();
    await Promise.all(Object.values(this.#notifiers).map((n) => n.close()));
  }
}
