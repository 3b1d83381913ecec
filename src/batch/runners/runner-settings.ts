import { z } from 'zod';
import { batchError } from '../errors.ts';
import type { JobsFile, RunnerKind } from '../jobs-file.ts';
import { type ContainerSettings, containerSettingsSchema } from './container/container-settings.ts';
import { type EcsSettings, ecsSettingsSchema } from './ecs/ecs-settings.ts';
import { type KubernetesSettings, kubernetesSettingsSchema } from './kubernetes/kubernetes-settings.ts';

/** `runners:` at the top of jobs.yaml: the settings shared by every job of a runner kind. */
export const runnersSchema = z.strictObject({
  container: containerSettingsSchema.optional(),
  kubernetes: kubernetesSettingsSchema.optional(),
  ecs: ecsSettingsSchema.optional(),
});

export type RunnersSettings = z.infer<typeof runnersSchema>;

/** The settings each non-local runner kind takes. */
export interface RunnerSettingsByKind {
  container: ContainerSettings;
  kubernetes: KubernetesSettings;
  ecs: EcsSettings;
}

export type RemoteRunnerKind = keyof RunnerSettingsByKind;

const schemas = {
  container: containerSettingsSchema,
  kubernetes: kubernetesSettingsSchema,
  ecs: ecsSettingsSchema,
} as const;

/** Keys a job of this kind must end up with, from its `runnerOptions` or from `runners.<kind>`. */
const requiredKeys: Record<RemoteRunnerKind, string[]> = {
  container: [],
  kubernetes: [],
  ecs: ['taskDefinition', 'subnets'],
};

function isRemote(kind: RunnerKind): kind is RemoteRunnerKind {
  return kind !== 'local';
}

/**
 * Checks a job's `runnerOptions` against its runner kind and, merged with the shared
 * `runners.<kind>`, for the keys that kind requires. Answers zod issues (paths below
 * `runnerOptions`) and plain problems, for `jobs-file.ts` to word.
 *
 * @example
 * checkRunnerOptions('ecs', { ecs: { subnets: ['subnet-1'] } }, { taskDefinition: 'etl:3' });
 * // { options: { taskDefinition: 'etl:3' }, issues: [], problems: [] }
 */
export function checkRunnerOptions(
  kind: RunnerKind,
  shared: RunnersSettings,
  own: unknown,
): { options: Record<string, unknown> | undefined; issues: z.core.$ZodIssue[]; problems: string[] } {
  if (!isRemote(kind)) {
    return {
      options: undefined,
      issues: [],
      problems: own === undefined ? [] : ['runnerOptions: not used by the local runner'],
    };
  }
  let options: Record<string, unknown> | undefined;
  if (own !== undefined) {
    const parsed = schemas[kind].safeParse(own);
    if (!parsed.success) return { options: undefined, issues: parsed.error.issues, problems: [] };
    options = parsed.data as Record<string, unknown>;
  }
  const merged: Record<string, unknown> = { ...shared[kind], ...options };
  const problems = requiredKeys[kind]
    .filter((key) => merged[key] === undefined)
    .map((key) => `runnerOptions.${key}: required for the ${kind} runner (here or in runners.${kind})`);
  return { options, issues: [], problems };
}

/** Runner settings with `${NAME}` expanded: the shared ones and each job's own. */
export interface ResolvedRunnerSettings {
  shared: RunnersSettings;
  byJob: Map<string, Record<string, unknown>>;
}

const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Expands `${NAME}` in runner settings (shared and per job) from `env`, then validates the
 * expanded values. Unlike job env values these are not secrets: they are not masked. Throws
 * BATCH_SECRET_MISSING for an unset variable, BATCH_JOBS_INVALID for a value that expands to
 * something invalid.
 *
 * @example
 * const settings = resolveRunnerSettings(file, process.env);
 * settingsFor(settings, 'ecs', 'etl'); // runners.ecs with the job's runnerOptions over it
 */
export function resolveRunnerSettings(
  file: JobsFile,
  env: Record<string, string | undefined>,
): ResolvedRunnerSettings {
  const missing: string[] = [];
  const invalid: string[] = [];
  const expand = (value: unknown, where: string): unknown => {
    if (typeof value === 'string') {
      return value.replace(reference, (_, name: string) => {
        const v = env[name];
        if (v === undefined) missing.push(`${where} references \${${name}}, which is not set`);
        return v ?? '';
      });
    }
    if (Array.isArray(value)) return value.map((v, i) => expand(v, `${where}[${i}]`));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v, `${where}.${k}`)]));
    }
    return value;
  };
  const check = (kind: RemoteRunnerKind, value: unknown, where: string) => {
    const parsed = schemas[kind].safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        invalid.push(
          `${[where, ...issue.path.map(String)].join('.')}: ${issue.message} (after \${} expansion)`,
        );
      }
    }
  };
  const shared = expand(file.runners ?? {}, 'runners') as RunnersSettings;
  for (const kind of Object.keys(schemas) as RemoteRunnerKind[]) {
    if (shared[kind] !== undefined) check(kind, shared[kind], `runners.${kind}`);
  }
  const byJob = new Map<string, Record<string, unknown>>();
  for (const job of file.jobs) {
    if (job.runnerOptions === undefined || !isRemote(job.runner)) continue;
    const options = expand(job.runnerOptions, `job ${job.name}: runnerOptions`) as Record<string, unknown>;
    check(job.runner, options, `job ${job.name}: runnerOptions`);
    byJob.set(job.name, options);
  }
  if (missing.length > 0) {
    throw batchError('BATCH_SECRET_MISSING', missing.join('; '), { details: { errors: missing } });
  }
  if (invalid.length > 0) {
    throw batchError('BATCH_JOBS_INVALID', invalid.join('; '), { details: { errors: invalid } });
  }
  return { shared, byJob };
}

/** A job's settings for its runner: `runners.<kind>` with the job's `runnerOptions` over it. */
export function settingsFor<K extends RemoteRunnerKind>(
  settings: ResolvedRunnerSettings,
  kind: K,
  job: string,
): RunnerSettingsByKind[K] {
  return { ...settings.shared[kind], ...settings.byJob.get(job) } as RunnerSettingsByKind[K];
}
