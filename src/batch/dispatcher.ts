import { type Clock, isoNow } from '../kernel/index.ts';
import type { BatchLog, Executor } from './executor.ts';
import type { JobDefinition, OverlapPolicy } from './jobs-file.ts';
import { ALL_JOBS, type RunRow, type RunStore } from './run-store.ts';

/** The shortest time between the starts of two passes. */
const passGapMs = 20;
/** Passes repeated at most, a gap apart, while other processes hold the due runs' jobs. */
const maxContendedRetries = 20;

export interface DispatcherProps {
  store: RunStore;
  clock: Clock;
  executor: Executor;
  /** The current jobs by name (they change on reload). */
  jobs: () => ReadonlyMap<string, JobDefinition>;
  /** Attempts running at once in this process. */
  concurrency: number;
  log: BatchLog;
  /**
   * When given, the only runs this dispatcher may claim (the set may grow): a CLI command starts
   * the runs it created and leaves every other queued run — other jobs' retries, API runs — to a
   * serve. Applied in the query of due runs, so the others are never claimed, nor skipped.
   */
  only?: ReadonlySet<string>;
}

/**
 * Starts queued runs whose time has come, in this process, as far as the overlap policies, the
 * pauses and the concurrency allow. Several processes dispatch from one database; a claim is a
 * conditional update, so each attempt starts in exactly one of them.
 *
 * @example
 * const dispatcher = new Dispatcher({ store, clock, executor, jobs: () => byName, concurrency: 100, log });
 * dispatcher.kick();
 * await dispatcher.idle();
 */
export class Dispatcher {
  readonly #p: DispatcherProps;
  readonly #active = new Set<Promise<void>>();
  #dispatching: Promise<void> | null = null;
  #again = false;
  #lastPass = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(props: DispatcherProps) {
    this.#p = props;
  }

  /** Starts a pass now, or right after the one in progress; never throws. */
  kick(): void {
    void this.dispatch().catch((error) => this.#p.log.error({ err: error }, 'batch dispatch failed'));
  }

  /** One pass (repeated while kicks arrived during it). */
  dispatch(): Promise<void> {
    if (this.#dispatching) {
      this.#again = true;
      return this.#dispatching;
    }
    this.#dispatching = (async () => {
      try {
        let retries = 0;
        do {
          this.#again = false;
          // Passes at most every passGapMs: the kicks that arrive meanwhile (a burst of API calls,
          // runs ending one after another) are all served by the next pass, whose queries see them.
          const wait = this.#lastPass + passGapMs - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          this.#lastPass = performance.now();
          const contended = await this.#once();
          // Another process was claiming some of the due runs' jobs: look again once its claim
          // has committed, rather than at the next tick, a second later.
          if (contended && !this.#again && retries < maxContendedRetries) {
            retries++;
            this.#again = true;
          }
        } while (this.#again);
      } finally {
        this.#dispatching = null;
      }
    })();
    return this.#dispatching;
  }

  /** Starts nothing more (the launcher is stopping); the attempts under way go on. */
  close(): void {
    this.#closed = true;
  }

  /** Resolves when no attempt runs in this process and no pass is pending. */
  async idle(): Promise<void> {
    while (this.#active.size > 0 || this.#dispatching) {
      await Promise.allSettled([...this.#active, this.#dispatching]);
    }
  }

  /** One pass; true when runs were left because another process was claiming their jobs. */
  async #once(): Promise<boolean> {
    const { store, clock } = this.#p;
    let free = this.#p.concurrency - this.#active.size;
    if (free <= 0 || this.#closed) return false;
    const paused = await store.pausedJobs();
    if (paused.has(ALL_JOBS)) return false;
    const byName = this.#p.jobs();
    const now = isoNow(clock);
    const due = await store.dueRuns(
      now,
      [...byName.keys()].filter((j) => !paused.has(j)),
      20,
      free + 100,
      this.#p.only,
    );
    // Runs that may overlap go as they are; the others one per job, the first in line.
    const allow: RunRow[] = [];
    const heads = new Map<string, { run: RunRow; policy: OverlapPolicy }>();
    const skippable: string[] = [];
    for (const run of due) {
      const job = byName.get(run.job);
      if (!job) continue;
      const policy = run.trigger === 'backfill' || run.attempt > 0 ? 'queue' : job.overlap;
      if (policy === 'allow') allow.push(run);
      else if (!heads.has(run.job)) heads.set(run.job, { run, policy });
      if (policy === 'skip') skippable.push(run.id);
    }
    for (const { run, policy } of heads.values()) {
      if (policy !== 'replace') continue;
      for (const id of await store.cancelRunningOf(run.job, `replaced by run ${run.id}`, now)) {
        this.#p.executor.stop(id, 'cancel');
      }
    }
    const exclusive = await store.claim(
      [...heads.values()].map((h) => h.run),
      'exclusive',
      now,
      free,
    );
    free -= exclusive.won.length;
    const allowed = await store.claim(allow, 'allow', now, free);
    free -= allowed.won.length;
    const claimed = [...exclusive.won, ...allowed.won];
    for (const run of claimed) {
      const job = byName.get(run.job);
      if (job) this.#launch(run, job);
    }
    // Every due run of a `skip` job that did not start, not only the first in line: those behind
    // it would start while a run is going just the same.
    const won = new Set(claimed.map((r) => r.id));
    const blocked = skippable.filter((id) => !won.has(id));
    await store.skipBlocked(blocked, 'skipped: another run of this job was still running', now);
    return exclusive.contended && free > 0;
  }

  #launch(run: RunRow, job: JobDefinition): void {
    const p: Promise<void> = this.#p.executor
      .execute(run, job)
      .catch((error) => this.#p.log.error({ err: error, runId: run.id }, 'batch run failed to record'))
      .finally(() => {
        this.#active.delete(p);
        // A finished run may let a queued run of the same job (or a waiting one) go.
        this.kick();
      });
    this.#active.add(p);
  }
}
