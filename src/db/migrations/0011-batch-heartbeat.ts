import { type Kysely, sql } from 'kysely';

/**
 * Batch launcher: a running attempt's process writes `heartbeat_at` every couple of seconds, so
 * that a run whose process died (killed, machine lost) can be told from a long one and recovered
 * — retried or failed and notified — instead of holding its job's overlap forever. The index
 * answers the recovery's "running, heartbeat older than X" with one range. Runs already running
 * when this migration runs count from their start.
 */
export async function up0011(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('batch_runs').addColumn('heartbeat_at', 'text').execute();
  await sql`update batch_runs set heartbeat_at = started_at where status = 'running'`.execute(db);
  await db.schema
    .createIndex('batch_runs_heartbeat')
    .on('batch_runs')
    .columns(['status', 'heartbeat_at'])
    .execute();
}
