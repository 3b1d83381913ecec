import { sql } from 'kysely';
import type { BatchRunLogsTable, BatchRunsTable, Db } from '../db/index.ts';

export type RunRow = BatchRunsTable;
export type RunStatus = RunRow['status'];
export type RunTrigger = RunRow['trigger'];
export type LogRow = BatchRunLogsTable;

/** The row that pauses every job. */
export const ALL_JOBS = '*';

/** How a queued run may start next to other runs of its job (see the job's `overlap`). */
export type ClaimMode = 'allow' | 'exclusive';

/** What a claim won, and whether another process held some of the runs' jobs at that moment. */
export interface Claimed {
  won: RunRow[];
  contended: boolean;
}

/**
 * Conditions on the attempt a transition ends: the attempt number this process started (a run
 * recovered and started again elsewhere has a higher one), and for a recovery, that the heartbeat
 * is still older than the stale limit (the process came back meanwhile otherwise).
 */
export interface AttemptGuard {
  attempt?: number;
  staleBefore?: string;
}

/**
 * All SQL of the batch module, on SQLite and PostgreSQL alike. Every state change is one
 * conditional statement, so that several processes sharing the database agree: the insert of a
 * scheduled run that hits the (job, scheduled_for) key, or the update that finds the run no
 * longer queued, is the answer "another process has it".
 */
export class RunStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  get #k() {
    return this.#db.kysely;
  }

  /** Creates the state rows of new jobs (and the pause-all row); the cursor starts at `now`. */
  async ensureJobStates(jobs: string[], now: string): Promise<void> {
    const rows = [ALL_JOBS, ...jobs].map((job) => ({
      job,
      paused: 0,
      paused_reason: null,
      paused_at: null,
      next_due_at: null,
      last_scheduled_for: job === ALL_JOBS ? null : now,
    }));
    for (let i = 0; i < rows.length; i += 200) {
      await this.#k
        .insertInto('batch_job_state')
        .values(rows.slice(i, i + 200))
        .onConflict((oc) => oc.column('job').doNothing())
        .execute();
    }
  }

  async jobStates() {
    return this.#k.selectFrom('batch_job_state').selectAll().execute();
  }

  /** The paused jobs (and `*` when every job is paused). */
  async pausedJobs(): Promise<Set<string>> {
    const rows = await this.#k.selectFrom('batch_job_state').select('job').where('paused', '=', 1).execute();
    return new Set(rows.map((r) => r.job));
  }

  async setPaused(job: string, paused: boolean, reason: string | null, now: string): Promise<boolean> {
    const r = await this.#k
      .updateTable('batch_job_state')
      .set({ paused: paused ? 1 : 0, paused_reason: paused ? reason : null, paused_at: paused ? now : null })
      .where('job', '=', job)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Moves jobs' cursors forward only (a slower scheduler process never moves one back) and
   * records their next due instant: one statement per 500 jobs, one transaction for the whole tick.
   */
  async advanceCursors(moves: { job: string; lastScheduledFor: string | null; nextDueAt: string | null }[]) {
    if (moves.length === 0) return;
    const apply = async (k: Db['kysely']) => {
      for (let i = 0; i < moves.length; i += 500) {
        const chunk = moves.slice(i, i + 500);
        if (this.#db.dialect === 'postgres') {
          // Lock the rows in one order first: the update's join would lock them in the plan's
          // order, and two scheduler processes doing that at once could deadlock.
          await k
            .selectFrom('batch_job_state')
            .select('job')
            .where(
              'job',
              'in',
              chunk.map((m) => m.job),
            )
            .orderBy('job')
            .forUpdate()
            .execute();
        }
        const values = sql.join(
          chunk.map(
            (m) =>
              sql`(cast(${m.job} as text), cast(${m.lastScheduledFor} as text), cast(${m.nextDueAt} as text))`,
          ),
        );
        await sql`
          with m (job, last, next_due) as (values ${values})
          update batch_job_state as s
          set next_due_at = m.next_due,
              last_scheduled_for = case
                when m.last is not null and (s.last_scheduled_for is null or s.last_scheduled_for < m.last)
                then m.last else s.last_scheduled_for end
          from m
          where s.job = m.job`.execute(k);
      }
    };
    // One commit instead of one per job on PostgreSQL. SQLite in WAL mode commits cheaply, and a
    // transaction held across awaits would block other connections of this process.
    if (this.#db.dialect === 'postgres') await this.#k.transaction().execute(apply);
    else await apply(this.#k);
  }

  /**
   * Inserts scheduled runs; returns the ids actually inserted. A run whose (job, scheduled_for)
   * exists already was fired by another process and is left out.
   */
  async insertScheduledRuns(rows: RunRow[]): Promise<Set<string>> {
    const inserted = new Set<string>();
    for (let i = 0; i < rows.length; i += 200) {
      const r = await this.#k
        .insertInto('batch_runs')
        .values(rows.slice(i, i + 200))
        .onConflict((oc) => oc.columns(['job', 'scheduled_for']).doNothing())
        .returning('id')
        .execute();
      for (const { id } of r) inserted.add(id);
    }
    return inserted;
  }

  async insertRuns(rows: RunRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) {
      await this.#k
        .insertInto('batch_runs')
        .values(rows.slice(i, i + 200))
        .execute();
    }
  }

  /**
   * Queued runs whose time has come, oldest first (backfill days in date order), at most
   * `perJob` of each job, so that a long backfill waiting its turn does not hide other jobs' runs.
   * With `only`, none but those runs.
   */
  async dueRuns(
    now: string,
    jobs: string[],
    perJob: number,
    limit: number,
    only?: ReadonlySet<string>,
  ): Promise<RunRow[]> {
    if (jobs.length === 0 || limit <= 0 || only?.size === 0) return [];
    const rows = await this.#k
      .selectFrom((eb) =>
        eb
          .selectFrom('batch_runs')
          .selectAll()
          .select(
            sql<number>`row_number() over (partition by job order by next_attempt_at, created_at, date, id)`.as(
              'rank',
            ),
          )
          .where('status', '=', 'queued')
          .where('next_attempt_at', '<=', now)
          .where('job', 'in', jobs)
          .$if(only !== undefined, (q) => q.where('id', 'in', [...only!]))
          .as('due'),
      )
      .selectAll()
      .where('rank', '<=', perJob)
      .orderBy('next_attempt_at')
      .orderBy('created_at')
      .orderBy('date')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(({ rank: _, ...row }) => row);
  }

  /**
   * Turns up to `limit` of the queued `runs`, in their order, into running attempts, unless their
   * job (or every job) is paused and, in `exclusive` mode, unless another run of the job is
   * running (give at most one run per job). Returns the runs this caller won, as updated (attempt
   * counted; the others stay as they were), and whether the limit was left unfilled because
   * another process was claiming, or had just claimed, some of them (PostgreSQL, exclusive mode):
   * worth another look with fresh runs once its claim is done.
   */
  async claim(runs: RunRow[], mode: ClaimMode, now: string, limit = runs.length): Promise<Claimed> {
    if (runs.length === 0 || limit <= 0) return { won: [], contended: false };
    const update = (k: Db['kysely'], ids: string[]) =>
      k
        .updateTable('batch_runs')
        .set((eb) => ({
          status: 'running',
          attempt: eb('attempt', '+', 1),
          started_at: eb.fn.coalesce('started_at', eb.val(now)),
          finished_at: null,
          next_attempt_at: null,
          heartbeat_at: now,
        }))
        .where('id', 'in', ids)
        .where('status', '=', 'queued')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('batch_job_state as s')
                .select('s.job')
                .where('s.paused', '=', 1)
                .where((w) => w.or([w('s.job', '=', w.ref('batch_runs.job')), w('s.job', '=', ALL_JOBS)])),
            ),
          ),
        )
        .$if(mode === 'exclusive', (q) =>
          q.where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('batch_runs as other')
                  .select('other.id')
                  .whereRef('other.job', '=', 'batch_runs.job')
                  .where('other.status', '=', 'running'),
              ),
            ),
          ),
        )
        .returningAll()
        .execute();
    if (this.#db.dialect === 'sqlite' || mode === 'allow') {
      // The first `limit` that are still queued: another process may have claimed some meanwhile.
      let ids = runs.map((r) => r.id);
      if (ids.length > limit) {
        const open = await this.#k
          .selectFrom('batch_runs')
          .select('id')
          .where('id', 'in', ids)
          .where('status', '=', 'queued')
          .execute();
        const still = new Set(open.map((r) => r.id));
        ids = ids.filter((id) => still.has(id)).slice(0, limit);
      }
      return { won: ids.length === 0 ? [] : await update(this.#k, ids), contended: false };
    }
    // PostgreSQL checks "no other run is running" against a snapshot: lock the jobs' state rows
    // first, so that two processes claiming runs of one job take turns. SKIP LOCKED with the limit
    // passes over the jobs another process is claiming right now and takes the next ones, so
    // processes claiming at once share the runs out instead of colliding on the first `limit`.
    const jobs = [...new Set(runs.map((r) => r.job))];
    const ids = runs.map((r) => r.id);
    return this.#k.transaction().execute(async (trx) => {
      const locked = await trx
        .selectFrom('batch_job_state as s')
        .select('s.job')
        .where('s.job', 'in', jobs)
        // A run that another process claimed since `runs` was read leaves its place to the next.
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('batch_runs as r')
              .select('r.id')
              .whereRef('r.job', '=', 's.job')
              .where('r.id', 'in', ids)
              .where('r.status', '=', 'queued'),
          ),
        )
        .orderBy(sql`array_position(cast(${jobs} as text[]), s.job)`)
        .limit(limit)
        .forUpdate('s')
        .skipLocked()
        .execute();
      const contended = locked.length < Math.min(limit, jobs.length);
      const mine = new Set(locked.map((l) => l.job));
      const claim = runs.filter((r) => mine.has(r.job)).map((r) => r.id);
      return { won: claim.length === 0 ? [] : await update(trx, claim), contended };
    });
  }

  /** Marks queued runs skipped when another run of their job is running; returns how many. */
  async skipBlocked(ids: string[], reason: string, now: string): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.#k
      .updateTable('batch_runs')
      .set({ status: 'skipped', error: reason, finished_at: now, next_attempt_at: null })
      .where('id', 'in', ids)
      .where('status', '=', 'queued')
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('batch_runs as other')
            .select('other.id')
            .whereRef('other.job', '=', 'batch_runs.job')
            .where('other.status', '=', 'running'),
        ),
      )
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Ends a run that is in one of `from` states; false when it had moved on already. */
  async finish(
    id: string,
    from: RunStatus[],
    to: { status: RunStatus; exitCode?: number | null; error: string | null; at: string },
    guard: AttemptGuard = {},
  ): Promise<boolean> {
    const r = await this.#k
      .updateTable('batch_runs')
      .set({
        status: to.status,
        ...(to.exitCode === undefined ? {} : { exit_code: to.exitCode }),
        error: to.error,
        finished_at: to.at,
        next_attempt_at: null,
      })
      .where('id', '=', id)
      .where('status', 'in', from)
      .$if(guard.attempt !== undefined, (q) => q.where('attempt', '=', guard.attempt!))
      .$if(guard.staleBefore !== undefined, (q) => q.where('heartbeat_at', '<', guard.staleBefore!))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Puts a failed attempt back in the queue until `nextAttemptAt`. */
  async requeue(
    id: string,
    nextAttemptAt: string,
    exitCode: number | null,
    error: string,
    guard: AttemptGuard = {},
  ): Promise<boolean> {
    const r = await this.#k
      .updateTable('batch_runs')
      .set({ status: 'queued', next_attempt_at: nextAttemptAt, exit_code: exitCode, error })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .$if(guard.attempt !== undefined, (q) => q.where('attempt', '=', guard.attempt!))
      .$if(guard.staleBefore !== undefined, (q) => q.where('heartbeat_at', '<', guard.staleBefore!))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Says that this process still runs these attempts; returns the ones it still owns (running,
   * at the attempt it started). One statement for all of a process's attempts.
   */
  async heartbeat(attempts: { id: string; attempt: number }[], now: string): Promise<Set<string>> {
    if (attempts.length === 0) return new Set();
    const rows = await this.#k
      .updateTable('batch_runs')
      .set({ heartbeat_at: now })
      .where(
        'id',
        'in',
        attempts.map((a) => a.id),
      )
      .where('status', '=', 'running')
      .returning(['id', 'attempt'])
      .execute();
    const started = new Map(attempts.map((a) => [a.id, a.attempt]));
    return new Set(rows.filter((r) => started.get(r.id) === r.attempt).map((r) => r.id));
  }

  /** Running runs whose process has not said it was alive since `before`, oldest first. */
  async staleRuns(before: string, limit: number): Promise<RunRow[]> {
    return this.#k
      .selectFrom('batch_runs')
      .selectAll()
      .where('status', '=', 'running')
      .where('heartbeat_at', '<', before)
      .orderBy('heartbeat_at')
      .limit(limit)
      .execute();
  }

  /** Marks the job's running runs cancelled; returns their ids. */
  async cancelRunningOf(job: string, reason: string, now: string): Promise<string[]> {
    const rows = await this.#k
      .selectFrom('batch_runs')
      .select('id')
      .where('job', '=', job)
      .where('status', '=', 'running')
      .execute();
    const ids: string[] = [];
    for (const { id } of rows) {
      if (await this.finish(id, ['running'], { status: 'cancelled', error: reason, at: now })) ids.push(id);
    }
    return ids;
  }

  async getRun(id: string): Promise<RunRow | undefined> {
    return this.#k.selectFrom('batch_runs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async statusOf(id: string): Promise<RunStatus | undefined> {
    const r = await this.#k.selectFrom('batch_runs').select('status').where('id', '=', id).executeTakeFirst();
    return r?.status;
  }

  async listRuns(job: string | undefined, limit: number): Promise<RunRow[]> {
    return this.#k
      .selectFrom('batch_runs')
      .selectAll()
      .$if(job !== undefined, (q) => q.where('job', '=', job!))
      .orderBy('created_at', 'desc')
      .orderBy('date', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /** The latest run of each job, by creation. */
  async lastRuns(): Promise<RunRow[]> {
    return this.#k
      .selectFrom('batch_runs as r')
      .selectAll('r')
      .where('r.id', '=', (eb) =>
        eb
          .selectFrom('batch_runs as l')
          .select('l.id')
          .whereRef('l.job', '=', 'r.job')
          .orderBy('l.created_at', 'desc')
          .orderBy('l.date', 'desc')
          .orderBy('l.id', 'desc')
          .limit(1),
      )
      .execute();
  }

  /** The status of the job's latest finished run other than `exceptId` (for recovery notices). */
  async previousOutcome(job: string, exceptId: string): Promise<RunStatus | undefined> {
    const r = await this.#k
      .selectFrom('batch_runs')
      .select('status')
      .where('job', '=', job)
      .where('id', '!=', exceptId)
      .where('status', 'in', ['succeeded', 'failed'])
      .orderBy('finished_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r?.status;
  }

  async lastSeq(runId: string): Promise<number> {
    const r = await this.#k
      .selectFrom('batch_run_logs')
      .select(sql<number | null>`max(seq)`.as('seq'))
      .where('run_id', '=', runId)
      .executeTakeFirst();
    return Number(r?.seq ?? 0);
  }

  async appendLogs(rows: LogRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      await this.#k
        .insertInto('batch_run_logs')
        .values(rows.slice(i, i + 500))
        .execute();
    }
  }

  /**
   * The last `lines` lines of a run, in order, and how many stored lines come before them: one
   * statement reading the primary key backwards (the count in it is an index range too). The
   * count is not the first line's seq minus one: a write that failed leaves a gap in the seqs.
   */
  async tailLogs(runId: string, lines: number): Promise<{ rows: LogRow[]; earlier: number }> {
    const rows = await this.#k
      .selectFrom('batch_run_logs')
      .selectAll()
      .select((eb) =>
        eb
          .selectFrom('batch_run_logs as all_lines')
          .select(sql<number>`count(*)`.as('n'))
          .where('all_lines.run_id', '=', runId)
          .as('total'),
      )
      .where('run_id', '=', runId)
      .orderBy('seq', 'desc')
      .limit(lines)
      .execute();
    const total = Number(rows[0]?.total ?? 0);
    return { rows: rows.reverse().map(({ total: _, ...row }) => row), earlier: total - rows.length };
  }

  async logs(runId: string, afterSeq: number, limit: number): Promise<LogRow[]> {
    return this.#k
      .selectFrom('batch_run_logs')
      .selectAll()
      .where('run_id', '=', runId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
  }
}
