import type { Kysely } from 'kysely';

/**
 * Batch launcher: "is a run of this job running?" — asked by every claim of a run that must not
 * overlap, and by the overlap `skip` — becomes one index seek. Through the (job, created_at) index
 * it read every run the job ever had, so it slowed down as a frequently started job's history grew.
 */
export async function up0008(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('batch_runs_job_status').on('batch_runs').columns(['job', 'status']).execute();
}
