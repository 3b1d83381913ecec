import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Batch launcher: runs (one row per run, all its attempts), their logs, and per-job scheduler
 * state. The unique key on (job, scheduled_for) is what lets several scheduler processes fire a
 * tick exactly once: the insert that loses the race is the answer "someone else has it".
 */
export function up0003(_dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    await db.schema
      .createTable('batch_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('job', 'text', (c) => c.notNull())
      .addColumn('date', 'text', (c) => c.notNull())
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('scheduled_for', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('exit_code', 'integer')
      .addColumn('error', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .addColumn('next_attempt_at', 'text')
      .execute();
    // Manual, API and backfill runs have no scheduled instant; NULLs never collide in a unique index.
    await db.schema
      .createIndex('batch_runs_job_scheduled')
      .on('batch_runs')
      .columns(['job', 'scheduled_for'])
      .unique()
      .execute();
    await db.schema
      .createIndex('batch_runs_status_next')
      .on('batch_runs')
      .columns(['status', 'next_attempt_at'])
      .execute();
    await db.schema
      .createIndex('batch_runs_job_created')
      .on('batch_runs')
      .columns(['job', 'created_at'])
      .execute();

    await db.schema
      .createTable('batch_run_logs')
      .addColumn('run_id', 'text', (c) => c.notNull().references('batch_runs.id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('batch_run_logs_pk', ['run_id', 'seq'])
      .execute();

    // One row per job, plus the row with job '*' that pauses every job.
    await db.schema
      .createTable('batch_job_state')
      .addColumn('job', 'text', (c) => c.primaryKey())
      .addColumn('paused', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('paused_reason', 'text')
      .addColumn('paused_at', 'text')
      .addColumn('next_due_at', 'text')
      .addColumn('last_scheduled_for', 'text')
      .execute();
  };
}
