import { createHash } from 'node:crypto';
import type { Clock, Ids } from '../kernel/index.ts';
import { dateInZone } from './dates.ts';
import type { JobDefinition } from './jobs-file.ts';
import { ALL_JOBS, type RunRow, type RunStore } from './run-store.ts';
import { Schedule } from './schedule.ts';

export interface SchedulerProps {
  store: RunStore;
  clock: Clock;
  ids: Ids;
  /** The current job list (it changes on reload). */
  jobs: () => readonly JobDefinition[];
  /**
   * With `catchup: skip`, an instant is fired only while it is at most this late; later it counts
   * as missed (downtime, pause). Default one minute.
   */
  missedAfterMs?: number;
}

/**
 * How long after its instant a scheduled run of a job with `jitter` starts: spread evenly over
 * [0, jitter) by a hash of (job, instant), so every scheduler process computes the same start and
 * the same job does not always start last.
 */
export function jitterOffset(job: Pick<JobDefinition, 'name' | 'jitterMs'>, scheduledFor: string): number {
  if (job.jitterMs <= 0) return 0;
  const digest = createHash('sha256').update(`${job.name}\u0000${scheduledFor}`).digest();
  return digest.readUInt32BE(0) % job.jitterMs;
}

/** What one tick did: the runs it created (another process may have created others). */
export interface TickResult {
  fired: { runId: string; job: string; scheduledFor: string }[];
  /** Instants this process tried to fire but another process had fired already. */
  lost: number;
}

/**
 * Turns cron instants into queued runs. Each job has a cursor (the latest instant dealt with,
 * in batch_job_state); a tick looks at the instants between the cursor and now, picks those the
 * catch-up policy fires, inserts one run per instant, and moves the cursor. The unique key on
 * (job, scheduled_for) makes the insert idempotent, so several scheduler processes sharing the
 * database fire each instant exactly once. While a job (or every job) is paused its cursor stays
 * put; on resume the instants that fell due meanwhile follow the catch-up policy.
 *
 * @example
 * const scheduler = new Scheduler({ store, clock, ids, jobs: () => jobs });
 * await scheduler.tick();
 */
export class Scheduler {
  readonly #store: RunStore;
  readonly #clock: Clock;
  readonly #ids: Ids;
  readonly #jobs: () => readonly JobDefinition[];
  readonly #missedAfterMs: number;
  readonly #schedules = new Map<string, Schedule>();
  /** Per job: the first instant after a cursor value, so that idle ticks compute nothing. */
  readonly #nextAfter = new Map<string, { schedule: Schedule; cursor: string; next: Date | null }>();

  constructor(props: SchedulerProps) {
    this.#store = props.store;
    this.#clock = props.clock;
    this.#ids = props.ids;
    this.#jobs = props.jobs;
    this.#missedAfterMs = props.missedAfterMs ?? 60_000;
  }

  /** The job's schedule, or null when it runs on demand only. */
  scheduleOf(job: JobDefinition): Schedule | null {
    if (job.schedule === null) return null;
    const key = `${job.schedule}\u0000${job.timezone}`;
    let s = this.#schedules.get(key);
    if (!s) {
      s = new Schedule(job.schedule, job.timezone);
      this.#schedules.set(key, s);
    }
    return s;
  }

  async tick(): Promise<TickResult> {
    const now = this.#clock.now();
    const states = new Map((await this.#store.jobStates()).map((s) => [s.job, s]));
    const allPaused = states.get(ALL_JOBS)?.paused === 1;
    const runs: RunRow[] = [];
    const moves: { job: string; lastScheduledFor: string | null; nextDueAt: string | null }[] = [];
    for (const job of this.#jobs()) {
      const schedule = this.scheduleOf(job);
      const state = states.get(job.name);
      if (!schedule || !state || state.last_scheduled_for === null) continue;
      const cursor = state.last_scheduled_for;
      const first = this.#firstAfter(job.name, schedule, cursor);
      const firstIso = first?.toISOString() ?? null;
      if (first === null || first > now || allPaused || state.paused === 1) {
        if (state.next_due_at !== firstIso)
          moves.push({ job: job.name, lastScheduledFor: null, nextDueAt: firstIso });
        continue;
      }
      // Usually exactly one instant is due; look further back only after downtime or a pause.
      const second = schedule.next(first);
      const onlyFirst = second === null || second > now;
      const due = onlyFirst
        ? [first]
        : schedule
            .latest(job.catchup.policy === 'all' ? job.catchup.max : 1, now)
            .filter((t) => t.toISOString() > cursor);
      for (const instant of this.#chosen(job, due, now)) runs.push(this.#run(job, instant, now));
      // When only `first` was due, `second` is both the next instant after now and the first one
      // after the new cursor: no more searches, neither here nor at the next tick.
      if (onlyFirst) this.#nextAfter.set(job.name, { schedule, cursor: firstIso!, next: second });
      const nextDue = onlyFirst ? second : schedule.next(now);
      moves.push({
        job: job.name,
        lastScheduledFor: due[0]!.toISOString(),
        nextDueAt: nextDue?.toISOString() ?? null,
      });
    }
    // Runs first, cursors second: a process dying in between leaves instants that the next tick
    // (here or elsewhere) finds again and that the unique key keeps from running twice.
    const inserted = await this.#store.insertScheduledRuns(runs);
    await this.#store.advanceCursors(moves);
    return {
      fired: runs
        .filter((r) => inserted.has(r.id))
        .map((r) => ({ runId: r.id, job: r.job, scheduledFor: r.scheduled_for! })),
      lost: runs.length - inserted.size,
    };
  }

  #run(job: JobDefinition, instant: Date, now: Date): RunRow {
    const scheduledFor = instant.toISOString();
    return {
      id: this.#ids.id('run'),
      job: job.name,
      date: dateInZone(instant, job.timezone),
      trigger: 'schedule',
      scheduled_for: scheduledFor,
      status: 'queued',
      attempt: 0,
      max_attempts: job.retry.attempts,
      exit_code: null,
      error: null,
      created_at: now.toISOString(),
      started_at: null,
      finished_at: null,
      next_attempt_at: new Date(instant.getTime() + jitterOffset(job, scheduledFor)).toISOString(),
      heartbeat_at: null,
    };
  }

  /** The due instants (latest first) that the catch-up policy fires, in time order. */
  #chosen(job: JobDefinition, due: Date[], now: Date): Date[] {
    const latest = due[0]!;
    switch (job.catchup.policy) {
      case 'all':
        return [...due].reverse();
      case 'once':
        return [latest];
      case 'skip':
        return now.getTime() - latest.getTime() <= this.#missedAfterMs ? [latest] : [];
    }
  }

  #firstAfter(job: string, schedule: Schedule, cursor: string): Date | null {
    const memo = this.#nextAfter.get(job);
    if (memo && memo.cursor === cursor && memo.schedule === schedule) return memo.next;
    const next = schedule.next(new Date(cursor));
    this.#nextAfter.set(job, { schedule, cursor, next });
    return next;
  }
}
