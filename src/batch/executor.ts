import { type Clock, isoNow } from '../kernel/index.ts';
import { backoffMs } from './backoff.ts';
import { formatDuration } from './duration.ts';
import type { JobDefinition, RunnerKind } from './jobs-file.ts';
import { LogWriter } from './log-writer.ts';
import type { Masker } from './masker.ts';
import type { BatchEvent, Notifier } from './notifiers/notifier.ts';
import { RunLog } from './run-log.ts';
import type { RunRow, RunStore } from './run-store.ts';
import { buildCommand } from './runners/command.ts';
import { type Runner, type RunOutcome, succeeded } from './runners/runner.ts';

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
  /** How often a running attempt checks whether another process cancelled it. */
  cancelPollMs: number;
  maxLogLines: number;
}

type StopReason = 'timeout' | 'cancel';

/**
 * Runs one claimed attempt to its end: builds the runner's spec (env + DATE, `{date}`), enforces
 * the timeout, captures the log, then records the outcome — success, a retry after the backoff
 * (retryable jobs and failures only), a final failure, or a cancel — and notifies once after the
 * last failed attempt and once on recovery.
 */
export class Executor {
  readonly #p: ExecutorProps;
  readonly #controllers = new Map<string, AbortController>();
  readonly #logs: LogWriter;

  constructor(props: ExecutorProps) {
    this.#p = props;
    this.#logs = new LogWriter(props.store);
  }

  /** Stops a run executing in this process; false when it runs elsewhere (it polls for the cancel). */
  stop(runId: string, reason: StopReason): boolean {
    const c = this.#controllers.get(runId);
    if (!c) return false;
    c.abort(reason);
    return true;
  }

  /** `claimed` is the run as the claim left it: running, its attempt counted. */
  async execute(claimed: RunRow, job: JobDefinition): Promise<void> {
    const { store, clock } = this.#p;
    const attempt = claimed.attempt;
    const masker = this.#p.masker();
    const log = new RunLog({
      writer: this.#logs,
      clock,
      masker,
      runId: claimed.id,
      // A first attempt has no lines yet; a retry continues the numbering.
      lastSeq: attempt > 1 ? await store.lastSeq(claimed.id) : 0,
      maxLines: this.#p.maxLogLines,
      onWriteError: (error) => this.#p.log.error({ err: error, runId: claimed.id }, 'run log write failed'),
    });
    log.add(
      'system',
      `attempt ${attempt} of ${claimed.max_attempts} for ${claimed.date} (${job.runner} runner)`,
    );
    const controller = new AbortController();
    this.#controllers.set(claimed.id, controller);
    const timers = this.#watch(claimed.id, job, controller);
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
          },
        );
      }
    } catch (error) {
      outcome = { exitCode: null, error: `runner failed: ${String(error)}`, retryable: true };
    } finally {
      clearTimeout(timers.timeout);
      clearInterval(timers.poll);
      this.#controllers.delete(claimed.id);
    }
    const stop = controller.signal.aborted ? (controller.signal.reason as StopReason) : null;
    await this.#record(claimed, job, attempt, outcome, stop, log, masker);
    await log.flush();
  }

  #watch(runId: string, job: JobDefinition, controller: AbortController) {
    const timeout =
      job.timeoutMs === null ? undefined : setTimeout(() => controller.abort('timeout'), job.timeoutMs);
    let checking = false;
    const poll = setInterval(async () => {
      if (checking) return;
      checking = true;
      try {
        if ((await this.#p.store.statusOf(runId)) === 'cancelled') controller.abort('cancel');
      } catch (error) {
        this.#p.log.warn({ err: error, runId }, 'cancel check failed');
      } finally {
        checking = false;
      }
    }, this.#p.cancelPollMs);
    timeout?.unref();
    poll.unref();
    return { timeout, poll };
  }

  async #record(
    run: RunRow,
    job: JobDefinition,
    attempt: number,
    outcome: RunOutcome,
    stop: StopReason | null,
    log: RunLog,
    masker: Masker,
  ): Promise<void> {
    const { store, clock } = this.#p;
    const at = isoNow(clock);
    if (stop === 'cancel') {
      await store.finish(run.id, ['running'], {
        status: 'cancelled',
        exitCode: outcome.exitCode,
        error: 'cancelled',
        at,
      });
      log.add('system', 'cancelled');
      return;
    }
    if (stop === null && succeeded(outcome)) {
      await store.finish(run.id, ['running'], { status: 'succeeded', exitCode: 0, error: null, at });
      log.add('system', `succeeded on attempt ${attempt}`);
      if (job.notify.length > 0 && (await store.previousOutcome(job.name, run.id)) === 'failed') {
        await this.#notify(job, { ...this.#event(run, attempt, at, log), kind: 'recovered', exitCode: 0 });
      }
      return;
    }
    const error = masker.mask(
      stop === 'timeout'
        ? `timed out after ${formatDuration(job.timeoutMs ?? 0)}`
        : (outcome.error ?? `exit code ${outcome.exitCode}`),
    );
    if (outcome.retryable && attempt < run.max_attempts) {
      const next = new Date(clock.now().getTime() + backoffMs(job.retry, attempt - 1)).toISOString();
      if (await store.requeue(run.id, next, outcome.exitCode, error)) {
        log.add('system', `attempt ${attempt} failed: ${error}; next attempt at ${next}`);
      }
      return;
    }
    const finished = await store.finish(run.id, ['running'], {
      status: 'failed',
      exitCode: outcome.exitCode,
      error,
      at,
    });
    log.add('system', `failed on attempt ${attempt} of ${run.max_attempts}: ${error}`);
    if (finished) {
      await this.#notify(job, {
        ...this.#event(run, attempt, at, log),
        kind: 'failed',
        exitCode: outcome.exitCode,
        error,
      });
    }
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
