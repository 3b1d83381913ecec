import type { Db } from '../db/index.ts';
import type { Clock, Ids } from '../kernel/index.ts';
import type { BatchLog } from './executor.ts';
import { type JobsFile, readJobsFile } from './jobs-file.ts';
import { createBatchService } from './service.ts';
import type { BatchService, BatchServiceOptions } from './service-types.ts';

/**
 * The jobs that exist when no jobs.yaml is configured. None yet: the warehouse build and the
 * reminders will be declared here, in the same form as jobs.yaml, once their commands exist.
 */
export function builtinJobs(): JobsFile {
  return { jobs: [], notifiers: {} };
}

export interface OpenBatchProps {
  db: Db;
  clock: Clock;
  ids: Ids;
  log?: BatchLog;
  /** jobs.yaml (`ENQUETE_JOBS`); undefined for the built-in jobs. */
  jobsPath: string | undefined;
  /** Where `${NAME}` in jobs.yaml resolves from: the server's environment. */
  env: Record<string, string | undefined>;
  /** ENQUETE_PUBLIC_URL, for console links in notifications. */
  publicUrl?: string;
  /** SMTP_URL, for e-mail notifiers. */
  smtpUrl?: string;
  options?: BatchServiceOptions;
}

/**
 * Reads jobs.yaml (or takes the built-in jobs) and wires the batch service: what `serve` and the
 * CLI call. Throws BATCH_JOBS_INVALID or BATCH_SECRET_MISSING when the file is wrong.
 *
 * @example
 * const batch = openBatchService({ db, clock, ids, log, jobsPath: config.jobsPath, env: process.env });
 */
export function openBatchService(props: OpenBatchProps): BatchService {
  const jobs = props.jobsPath ? readJobsFile(props.jobsPath) : builtinJobs();
  return createBatchService({
    db: props.db,
    clock: props.clock,
    ids: props.ids,
    log: props.log,
    jobs,
    env: props.env,
    notifierContext: { publicUrl: props.publicUrl, smtpUrl: props.smtpUrl },
    options: props.options,
  });
}
