import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { parseDuration } from './duration.ts';
import { batchError } from './errors.ts';
import {
  type catchupPolicies,
  type DefaultsInput,
  defaultsSchema,
  describeIssue,
  type JobInput,
  jobSchema,
  type overlapPolicies,
  type runnerKinds,
  topLevelSchema,
} from './jobs-schema.ts';
import {
  type NotifierDefinition,
  notifierSchema,
  toNotifierDefinition,
} from './notifiers/notifier-definition.ts';
import { checkRunnerOptions, type RunnersSettings, runnersSchema } from './runners/runner-settings.ts';
import { cronProblem } from './schedule.ts';

export type { NotifierDefinition };

export type RunnerKind = (typeof runnerKinds)[number];
export type OverlapPolicy = (typeof overlapPolicies)[number];
export type CatchupPolicy = (typeof catchupPolicies)[number];

export interface RetryPolicy {
  /** Attempts in all, the first included: 1 means no retry. */
  attempts: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  maxDoublings: number;
}

/** A job as declared, defaults applied; `env` values may still hold `${NAME}` references. */
export interface JobDefinition {
  name: string;
  endpoint: string;
  description: string | null;
  image: string | null;
  /** A string runs through `/bin/sh -c`; a list is executed directly. */
  cmd: string | string[] | null;
  args: string[];
  /** ECS units: 1024 = one vCPU. */
  cpu: number | null;
  /** MiB. */
  memory: number | null;
  env: Record<string, string>;
  workdir: string | null;
  schedule: string | null;
  timezone: string;
  runner: RunnerKind;
  timeoutMs: number | null;
  /** Scheduled runs start up to this long after their instant; 0 for none. */
  jitterMs: number;
  retryable: boolean;
  retry: RetryPolicy;
  overlap: OverlapPolicy;
  catchup: { policy: CatchupPolicy; max: number };
  notify: string[];
  /** The job's own settings for its runner (container, kubernetes, ecs), over `runners.<kind>`. */
  runnerOptions?: Record<string, unknown>;
}

/** A validated jobs.yaml. */
export interface JobsFile {
  jobs: JobDefinition[];
  notifiers: Record<string, NotifierDefinition>;
  /** `runners:`, the settings shared by the jobs of each runner kind; `${NAME}` still unexpanded. */
  runners?: RunnersSettings;
}

/** Like Cloud Scheduler's retry defaults. */
export const defaultRetry: RetryPolicy = {
  attempts: 3,
  minBackoffMs: 5_000,
  maxBackoffMs: 3_600_000,
  maxDoublings: 5,
};

const defaultCatchupMax = 10;

/**
 * Reads and validates jobs.yaml: the original list form or the map form
 * `{defaults, notifiers, jobs}`. Throws BATCH_JOBS_INVALID listing every problem, each naming the
 * job by index and name (or endpoint) and the key, e.g.
 * `jobs[2] (/ibis/update_answer): cpu: expected a number`.
 *
 * @example
 * const file = parseJobsFile(readFileSync('jobs.yaml', 'utf8'));
 */
export function parseJobsFile(text: string, source = 'jobs.yaml'): JobsFile {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw batchError('BATCH_JOBS_INVALID', `${source}: not valid YAML: ${String(cause)}`, { cause });
  }
  if (doc === null || doc === undefined) return { jobs: [], notifiers: {} };
  const top = topLevelSchema.safeParse(Array.isArray(doc) ? { jobs: doc } : doc);
  if (!top.success) fail(source, top.error.issues.map(describeIssue));

  const errors: string[] = [];
  const defaults = collect(defaultsSchema, top.data.defaults ?? {}, 'defaults', errors) ?? {};
  let runners: RunnersSettings | undefined;
  if (top.data.runners !== undefined) {
    const r = runnersSchema.safeParse(top.data.runners);
    if (r.success) runners = r.data;
    else
      for (const issue of r.error.issues)
        errors.push(describeIssue({ ...issue, path: ['runners', ...issue.path] }));
  }
  const notifiers: Record<string, NotifierDefinition> = {};
  for (const [name, raw] of Object.entries(top.data.notifiers ?? {})) {
    const n = collect(notifierSchema, raw, `notifiers.${name}`, errors);
    if (n) notifiers[name] = toNotifierDefinition(n);
  }

  const jobs: JobDefinition[] = [];
  const labels: string[] = [];
  top.data.jobs.forEach((raw, index) => {
    const label = jobLabel(raw, index);
    const input = collect(jobSchema, raw, label, errors);
    if (!input) return;
    const job = applyDefaults(input, defaults, label, errors, runners ?? {});
    for (const n of job.notify) {
      if (!notifiers[n]) errors.push(`${label}: notify: no notifier named ${n}`);
    }
    jobs.push(job);
    labels.push(label);
  });
  checkUnique(jobs, labels, errors);
  if (errors.length > 0) fail(source, errors);
  return runners === undefined ? { jobs, notifiers } : { jobs, notifiers, runners };
}

/** Reads a jobs file from disk; see {@link parseJobsFile}. */
export function readJobsFile(path: string): JobsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw batchError('BATCH_JOBS_INVALID', `${path}: cannot be read (${String(cause)})`, { cause });
  }
  return parseJobsFile(text, path);
}

/** The name a job gets from its endpoint: `/ibis/update_answer` → `ibis-update_answer`. */
export function nameFromEndpoint(endpoint: string): string {
  return endpoint.replace(/^\/+|\/+$/g, '').replace(/\/+/g, '-');
}

function jobLabel(raw: unknown, index: number): string {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const id =
    typeof r['name'] === 'string' ? r['name'] : typeof r['endpoint'] === 'string' ? r['endpoint'] : null;
  return id ? `jobs[${index}] (${id})` : `jobs[${index}]`;
}

function collect<S extends z.ZodType>(schema: S, raw: unknown, label: string, errors: string[]) {
  const r = schema.safeParse(raw);
  if (r.success) return r.data as z.infer<S>;
  for (const issue of r.error.issues) errors.push(`${label}: ${describeIssue(issue)}`);
  return undefined;
}

function applyDefaults(
  job: JobInput,
  d: DefaultsInput,
  label: string,
  errors: string[],
  runners: RunnersSettings,
): JobDefinition {
  if (!job.name && !job.endpoint) errors.push(`${label}: name or endpoint is required`);
  const name = job.name ?? nameFromEndpoint(job.endpoint ?? '');
  const runner = job.runner ?? d.runner ?? 'local';
  const image = job.image ?? d.image ?? null;
  const cmd = job.cmd ?? null;
  if (runner !== 'local' && !image) errors.push(`${label}: image: required for the ${runner} runner`);
  if (runner === 'local' && !cmd) errors.push(`${label}: cmd: required for the local runner`);
  const timezone = job.timezone ?? d.timezone ?? 'UTC';
  const schedule = job.schedule ?? null;
  if (schedule !== null) {
    const problem = cronProblem(schedule);
    if (problem) errors.push(`${label}: schedule: ${problem}`);
  }
  const retryInput = { ...d.retry, ...job.retry };
  const hasRetry = job.retry !== undefined || d.retry !== undefined;
  const retryable = job.retryable ?? (job.retry !== undefined ? true : (d.retryable ?? hasRetry));
  if (job.retryable === false && job.retry !== undefined) {
    errors.push(`${label}: retry: given but retryable is false`);
  }
  const retry: RetryPolicy = {
    attempts: retryable ? (retryInput.attempts ?? defaultRetry.attempts) : 1,
    minBackoffMs: ms(retryInput.minBackoff) ?? defaultRetry.minBackoffMs,
    maxBackoffMs: ms(retryInput.maxBackoff) ?? defaultRetry.maxBackoffMs,
    maxDoublings: retryInput.maxDoublings ?? defaultRetry.maxDoublings,
  };
  if (retry.minBackoffMs > retry.maxBackoffMs) {
    errors.push(`${label}: retry: minBackoff is longer than maxBackoff`);
  }
  const own = checkRunnerOptions(runner, runners, job.runnerOptions);
  for (const issue of own.issues) {
    errors.push(`${label}: ${describeIssue({ ...issue, path: ['runnerOptions', ...issue.path] })}`);
  }
  for (const problem of own.problems) errors.push(`${label}: ${problem}`);
  const catchup = job.catchup ?? d.catchup ?? 'once';
  const notify = job.notify ?? d.notify ?? [];
  return {
    name,
    endpoint: job.endpoint ?? `/${name}`,
    description: job.description ?? null,
    image,
    cmd,
    args: job.args ?? [],
    cpu: job.cpu ?? d.cpu ?? null,
    memory: job.memory ?? d.memory ?? null,
    env: { ...d.env, ...job.env },
    workdir: job.workdir ?? d.workdir ?? null,
    schedule,
    timezone,
    runner,
    timeoutMs: ms(job.timeout ?? d.timeout) ?? null,
    jitterMs: ms(job.jitter ?? d.jitter) ?? 0,
    retryable,
    retry,
    overlap: job.overlap ?? d.overlap ?? 'skip',
    catchup:
      typeof catchup === 'string'
        ? { policy: catchup, max: defaultCatchupMax }
        : { policy: catchup.policy, max: catchup.max ?? defaultCatchupMax },
    notify: typeof notify === 'string' ? [notify] : notify,
    ...(own.options === undefined ? {} : { runnerOptions: own.options }),
  };
}

function ms(value: string | number | undefined): number | undefined {
  return value === undefined ? undefined : parseDuration(value);
}

function checkUnique(jobs: JobDefinition[], labels: string[], errors: string[]): void {
  const names = new Map<string, string>();
  const endpoints = new Map<string, string>();
  jobs.forEach((job, i) => {
    const label = labels[i]!;
    const n = names.get(job.name);
    if (n !== undefined) {
      errors.push(`${label}: name: ${job.name} is already used by ${n}`);
      return;
    }
    names.set(job.name, label);
    const e = endpoints.get(job.endpoint);
    if (e !== undefined) errors.push(`${label}: endpoint: ${job.endpoint} is already used by ${e}`);
    else endpoints.set(job.endpoint, label);
  });
}

function fail(source: string, errors: string[]): never {
  throw batchError('BATCH_JOBS_INVALID', `${source}: ${errors.join('; ')}`, { details: { errors } });
}
