import { existsSync } from 'node:fs';
import { devNull } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Db } from '../db/index.ts';
import type { Clock, Ids } from '../kernel/index.ts';
import type { BatchLog } from './executor.ts';
import { type JobsFile, parseJobsFile, readJobsFile } from './jobs-file.ts';
import { createBatchService } from './service.ts';
import type { BatchService, BatchServiceOptions } from './service-types.ts';

/** This repository's command, which the built-in jobs run. */
const enqueteBin = fileURLToPath(new URL('../../bin/enquete.mjs', import.meta.url));

/** What the built-in jobs' processes need to reach the same data as the server. */
export interface BuiltinJobSettings {
  /** ENQUETE_DATA_DIR, absolute. */
  dataDir?: string;
  /** DATABASE_URL; passed as the `${DATABASE_URL}` reference, so it is masked like any secret. */
  databaseUrl?: string;
  /** ENQUETE_PUBLIC_URL: the base of the links in the messages a job renders. */
  publicUrl?: string;
}

/**
 * The jobs that exist without being declared, in the same form as jobs.yaml:
 *
 * - `reminders`, every 10 minutes: `enquete reminders run` decides and queues the wave reminders
 *   that are due (the distribution loop of `serve` sends them). It is their one scheduled owner.
 *
 * A local job sees none of the server's environment but PATH and the like (see the local runner),
 * so the settings it needs come in its `env`. `ENQUETE_JOBS` points at an empty file: the job's
 * process must not read the server's jobs.yaml, whose `${NAME}` secrets it does not have.
 *
 * @example
 * const { jobs } = builtinJobs({ dataDir: config.dataDir, publicUrl: config.publicUrl });
 */
export function builtinJobs(settings: BuiltinJobSettings = {}): JobsFile {
  const env: Record<string, string> = { ENQUETE_JOBS: devNull };
  if (settings.dataDir) env['ENQUETE_DATA_DIR'] = settings.dataDir;
  if (settings.publicUrl) env['ENQUETE_PUBLIC_URL'] = settings.publicUrl;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a jobs.yaml secret reference, resolved by the service
  if (settings.databaseUrl) env['DATABASE_URL'] = '${DATABASE_URL}';
  const reminders = {
    name: 'reminders',
    description: 'queues the wave reminders that are due (enquete reminders run); the server sends them',
    cmd: [process.execPath, enqueteBin, 'reminders', 'run'],
    schedule: '*/10 * * * *',
    timezone: 'UTC',
    runner: 'local',
    timeout: '15m',
    // Deciding reminders again is harmless; the next run, 10 minutes later, is the retry.
    retryable: false,
    overlap: 'skip',
    catchup: 'once',
    env,
  };
  return parseJobsFile(JSON.stringify({ jobs: [reminders] }), 'built-in jobs');
}

/**
 * The jobs of a jobs.yaml with the built-in jobs under them: a job of the file with a built-in's
 * name (or endpoint) replaces that built-in; the other built-ins stay.
 *
 * @example
 * withBuiltins(readJobsFile('jobs.yaml'), builtinJobs(settings));
 */
export function withBuiltins(file: JobsFile, builtins: JobsFile): JobsFile {
  const names = new Set(file.jobs.map((j) => j.name));
  const endpoints = new Set(file.jobs.map((j) => j.endpoint));
  const kept = builtins.jobs.filter((j) => !names.has(j.name) && !endpoints.has(j.endpoint));
  return { ...file, jobs: [...file.jobs, ...kept], notifiers: { ...builtins.notifiers, ...file.notifiers } };
}

/** jobs.yaml (when there is one) with the built-in jobs; what the service starts and reloads with. */
export function loadJobs(jobsPath: string | undefined, settings: BuiltinJobSettings = {}): JobsFile {
  const builtins = builtinJobs(settings);
  return jobsPath ? withBuiltins(readJobsFile(jobsPath), builtins) : builtins;
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
  /** ENQUETE_DATA_DIR, for the built-in jobs. */
  dataDir?: string;
  /** DATABASE_URL, for the built-in jobs; also resolves `${DATABASE_URL}` when the environment lacks it. */
  databaseUrl?: string;
  options?: BatchServiceOptions;
}

/**
 * Reads jobs.yaml with the built-in jobs under it (see {@link withBuiltins}) and wires the batch
 * service: what `serve` and the CLI call. Throws BATCH_JOBS_INVALID or BATCH_SECRET_MISSING when
 * the file is wrong.
 *
 * @example
 * const batch = openBatchService({ db, clock, ids, log, jobsPath: config.jobsPath, env: process.env });
 */
export function openBatchService(props: OpenBatchProps): BatchService {
  const jobs = loadJobs(props.jobsPath, props);
  // DATABASE_URL may come from enquete.yaml rather than the environment; the reminders job's
  // `${DATABASE_URL}` must find it either way.
  const env =
    props.databaseUrl && props.env['DATABASE_URL'] === undefined
      ? { ...props.env, DATABASE_URL: props.databaseUrl }
      : props.env;
  return createBatchService({
    db: props.db,
    clock: props.clock,
    ids: props.ids,
    log: props.log,
    jobs,
    env,
    notifierContext: { publicUrl: props.publicUrl, smtpUrl: props.smtpUrl },
    options: props.options,
  });
}

/**
 * Reads jobs.yaml again (with the built-in jobs under it) and hands it to the running service:
 * what SIGHUP and the console's "Reload" do. Runs going on keep going; a file that does not
 * load throws BATCH_JOBS_INVALID or BATCH_SECRET_MISSING and the previous list stays.
 *
 * @example
 * const { jobs } = await reloadJobsFile(ctx.batch, { jobsPath: config.jobsPath, ...config });
 */
export async function reloadJobsFile(
  batch: BatchService,
  props: BuiltinJobSettings & { jobsPath: string | undefined; jobsFallback?: string },
): Promise<{ source: string | null; jobs: string[] }> {
  // A ./jobs.yaml written after the start is found now.
  const path =
    props.jobsPath ?? (props.jobsFallback && existsSync(props.jobsFallback) ? props.jobsFallback : undefined);
  const file = loadJobs(path, props);
  await batch.reload(file);
  return { source: path ?? null, jobs: file.jobs.map((j) => j.name) };
}
