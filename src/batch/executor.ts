import { type Clock, isoNow } from '../kernel/index.ts';
import { backoffMs } from './backoff.ts';
import { formatDuration } from './duration.ts';
import type { JobDefinition, RunnerKind } from './jobs-file.ts';
import { LogWriter } from './log-writer.ts';
import type { Masker } from './masker.ts';
import type { BatchEvent, Notifier } from './notifiers/notifier.ts';
import { RunLog } from './run-log.ts';
import type { AttemptGuard, RunRow, RunStore } from './run-store.ts';
import { buildCommand } from './runners/command.ts';
import { type Runner, type RunOutcome, succeeded } from './runners/runner.ts';
import { storableText } from './stored-text.ts';

/** The logger the batch module writes its own troubles to (pino's Logger fits). */
export interface BatchLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ExecutorProps {
  store: RunStore;
  clock: Clock;
  runners: Partial<Record<RunnerKind, Runner>>;
  notifiers: () => Record<string, Notifier>;
  masker: () => Masker;
  log: BatchLog;
  /**
   * How often this process writes the heartbeat of its running attempts, which also tells it of
   * a cancel made by another process.
   */
  cancelPollMs: number;
  maxLogLines: number;
}

/**
 * `lost`: the run is no longer this attempt's (recovered elsewhere while this process stalled).
 * `shutdown`: the launcher is stopping and the attempt outlasted its grace period.
 */
type StopReason = 'timeout' | 'cancel' | 'lost' | 'shutdown';

interface Active {
  controller: AbortController;
  attempt: number;
}

/**
 * Runs one claimed attempt to its end: builds the runner's spec (env + DATE, `{date}`), enforces
 * the timeout, captures the log, then records the outcome — success, a retry after the backoff
 * (retryable jobs and failures only), a final failure, or a cancel — and notifies once after the
 * last failed attempt and once on recovery.
 */
export class Executor {
  readonly #p: ExecutorProps;
  readonly #active = new Map<string, Active>();
  readonly #logs: LogWriter;
  #heartbeat: NodeJS.Timeout | undefined;
  #beating = false;

  constructor(props: ExecutorProps) {
    this.#p = props;
    this.#logs = new LogWriter(props.store);
  }

  /** Stops a run executing in this process; false when it runs elsewhere (it polls for the cancel). */
  stop(runId: string, reason: 'timeout' | 'cancel'): boolean {
    const a = this.#active.get(runId);
    if (!a) return false;
    a.controller.abort(reason);
    return true;
  }

  /** Attempts running in this process now. */
  get running(): number {
    return this.#active.size;
  }

  /**
   * Stops every attempt running here because the launcher is going away: each is recorded as an
   * interrupted attempt — retried later (by another process, or this one after its restart) when
   * the job is retryable and has attempts left, failed and notified otherwise.
   */
  interruptAll(): void {
    for (const a of this.#active.values()) a.controller.abort('shutdown');
  }

  /**
   * Recovers runs left running by a process that stopped (killed, machine lost): those whose
   * heartbeat is older than `staleAfterMs`, except this process's own. Each counts as a failed
   * attempt: retried after the backoff when the job is retryable and has attempts left, failed
   * and notified otherwise. The transitions are conditional on the stale heartbeat, so several
   * processes recovering at once, or the lost process coming back, leave one outcome. Returns the
   * ids recovered by this call.
   */
  async recoverStale(jobs: ReadonlyMap<string, JobDefinition>, staleAfterMs: number): Promise<string[]> {
    const { store, clock } = this.#p;
    const staleBefore = new Date(clock.now().getTime() - staleAfterMs).toISOString();
    const stale = (await store.staleRuns(staleBefore, 100)).filter((r) => !this.#active.has(r.id));
    const recovered: string[] = [];
    for (const run of stale) {
      const masker = this.#p.masker();
      const log = this.#runLog(run, masker, await store.lastSeq(run.id));
      const error = `the process running attempt ${run.attempt} stopped: no heartbeat since ${run.heartbeat_at}`;
      const outcome: RunOutcome = { exitCode: null, error, retryable: true };
      const guard = { attempt: run.attempt, staleBefore };
      const job = jobs.get(run.job);
      const done = job
        ? await this.#record(run, job, run.attempt, outcome, null, log, masker, guard)
        : await store.finish(
            run.id,
            ['running'],
            { status: 'failed', error: `${error}; the job is no longer declared`, at: isoNow(clock) },
            guard,
          );
      if (done) {
        recovered.push(run.id);
        this.#p.log.warn(
          { runId: run.id, job: run.job, attempt: run.attempt },
          'recovered a stale batch run',
        );
      }
      await log.flush();
    }
    return recovered;
  }

  #runLog(run: RunRow, masker: Masker, lastSeq: number): RunLog {
    return new RunLog({
      writer: this.#logs,
      clock: this.#p.clock,
      masker,
      runId: run.id,
      lastSeq,
      storedLastSeq: () => this.#p.store.lastSeq(run.id),
      maxLines: this.#p.maxLogLines,
      onWriteError: (error) => this.#p.log.error({ err: error, runId: run.id }, 'run log write failed'),
    });
  }

  /** `claimed` is the run as the claim left it: running, its attempt counted. */
  async execute(claimed: RunRow, job: JobDefinition): Promise<void> {
    const { store } = this.#p;
    const attempt = claimed.attempt;
    const masker = this.#p.masker();
    // A first attempt has no lines yet; a retry continues the numbering.
    const log = this.#runLog(claimed, masker, attempt > 1 ? await store.lastSeq(claimed.id) : 0);
    log.add(
      'system',
      `attempt ${attempt} of ${claimed.max_attempts} for ${claimed.date} (${job.runner} runner)`,
    );
    const controller = new AbortController();
    this.#active.set(claimed.id, { controller, attempt });
    this.#beat();
    const timeout =
      job.timeoutMs === null ? undefined : setTimeout(() => controller.abort('timeout'), job.timeoutMs);
    timeout?.unref();
    let outcome: RunOutcome;
    const runner = this.#p.runners[job.runner];
    try {
      if (!runner) {
        outcome = {
          exitCode: null,
          error: `the ${job.runner} runner is not configured here`,
          retryable: false,
        };
      } else {
        outcome = await runner.run(
          {
            runId: claimed.id,
            job: job.name,
            attempt,
            date: claimed.date,
            image: job.image,
            command: buildCommand(job, claimed.date),
            env: { ...job.env, DATE: claimed.date },
            workdir: job.workdir,
            cpu: job.cpu,
            memory: job.memory,
          },
          {
            onLine: (stream, text) => log.add(stream, text),
            onNote: (text) => log.add('system', text),
            signal: controller.signal,
            secrets: masker.patterns,
          },
        );
      }
    } catch (error) {
      outcome = { exitCode: null, error: `runner failed: ${String(error)}`, retryable: true };
    } finally {
      clearTimeout(timeout);
      this.#active.delete(claimed.id);
      if (this.#active.size === 0) this.#stopBeat();
    }
    const stop = controller.signal.aborted ? (controller.signal.reason as StopReason) : null;
    if (stop === 'lost') {
      log.add('system', `attempt ${attempt} stopped here: the run was recovered by another process`);
    } else {
      await this.#record(claimed, job, attempt, outcome, stop, log, masker, { attempt });
    }
    await log.flush();
  }

  /** Starts the heartbeat of this process's attempts, if it is not going already. */
  #beat(): void {
    if (this.#heartbeat) return;
    this.#heartbeat = setInterval(() => void this.#pulse(), this.#p.cancelPollMs);
    this.#heartbeat.unref();
  }

  #stopBeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /**
   * One heartbeat for every attempt running here. An attempt that is no longer this process's
   * — cancelled by another process, or recovered elsewhere after this one stalled — is stopped.
   */
  async #pulse(): Promise<void> {
    if (this.#beating || this.#active.size === 0) return;
    this.#beating = true;
    try {
      const attempts = [...this.#active].map(([id, a]) => ({ id, attempt: a.attempt }));
      const owned = await this.#p.store.heartbeat(attempts, isoNow(this.#p.clock));
      for (const { id } of attempts) {
        const active = this.#active.get(id);
        if (!active || owned.has(id)) continue;
        const status = await this.#p.store.statusOf(id);
        active.controller.abort(status === 'cancelled' ? 'cancel' : 'lost');
      }
    } catch (error) {
      this.#p.log.warn({ err: error }, 'batch heartbeat failed');
    } finally {
      this.#beating = false;
    }
  }

  async #record(
    run: RunRow,
    job: JobDefinition,
    attempt: number,
    outcome: RunOutcome,
    stop: StopReason | null,
    log: RunLog,
    masker: Masker,
    guard: AttemptGuard,
  ): Promise<boolean> {
    const { store, clock } = this.#p;
    const at = isoNow(clock);
    if (stop === 'cancel') {
      const done = await store.finish(
        run.id,
        ['running'],
        { status: 'cancelled', exitCode: outcome.exitCode, error: 'cancelled', at },
        guard,
      );
      log.add('system', 'cancelled');
      return done;
    }
    if (stop === null && succeeded(outcome)) {
      const done = await store.finish(
        run.id,
        ['running'],
        { status: 'succeeded', exitCode: 0, error: null, at },
        guard,
      );
      if (!done) return false;
      log.add('system', `succeeded on attempt ${attempt}`);
      if (job.notify.length > 0 && (await store.previousOutcome(job.name, run.id)) === 'failed') {
        await this.#notify(job, { ...this.#event(run, attempt, at, log), kind: 'recovered', exitCode: 0 });
      }
      return true;
    }
    const error = masker.mask(
      storableText(
        stop === 'timeout'
          ? `timed out after ${formatDuration(job.timeoutMs ?? 0)}`
          : stop === 'shutdown'
            ? 'interrupted: the launcher stopped'
            : (outcome.error ?? `exit code ${outcome.exitCode}`),
      ),
    );
    if ((outcome.retryable || stop === 'shutdown') && attempt < run.max_attempts) {
      const next = new Date(clock.now().getTime() + backoffMs(job.retry, attempt - 1)).toISOString();
      const requeued = await store.requeue(run.id, next, outcome.exitCode, error, guard);
      if (requeued) log.add('system', `attempt ${attempt} failed: ${error}; next attempt at ${next}`);
      return requeued;
    }
    const finished = await store.finish(
      run.id,
      ['running'],
      { status: 'failed', exitCode: outcome.exitCode, error, at },
      guard,
    );
    if (!finished) return false;
    log.add('system', `failed on attempt ${attempt} of ${run.max_attempts}: ${error}`);
    await this.#notify(job, {
      ...this.#event(run, attempt, at, log),
      kind: 'failed',
      exitCode: outcome.exitCode,
      error,
    });
    return true;
  }

  #event(run: RunRow, attempts: number, at: string, log: RunLog): Omit<BatchEvent, 'kind' | 'exitCode'> {
    return {
      job: run.job,
      runId: run.id,
      date: run.date,
      trigger: run.trigger,
      attempts,
      error: null,
      at,
      logTail: log.tail(),
    };
  }

  async #notify(job: JobDefinition, event: BatchEvent): Promise<void> {
    const notifiers = this.#p.notifiers();
    await Promise.all(
      job.notify.map(async (name) => {
        const notifier = notifiers[name];
        if (!notifier) {
          this.#p.log.warn({ job: job.name, notifier: name }, 'notifier is not configured');
          return;
        }
        // notify() only queues the event (delivery, rate limit and retries happen behind it).
        try {
          await notifier.notify(event);
        } catch (error) {
          this.#p.log.error({ err: error, job: job.name, notifier: name }, 'notification failed');
        }
      }),
    );
  }
}
