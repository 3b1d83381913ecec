import { batchError } from './errors.ts';
import type { JobDefinition, JobsFile, NotifierDefinition } from './jobs-file.ts';
import { Masker } from './masker.ts';
import { resolveNotifier } from './notifiers/notifier-definition.ts';

/** Jobs whose `${NAME}` references are replaced by values, with a masker for those values. */
export interface ResolvedJobs {
  jobs: JobDefinition[];
  notifiers: Record<string, NotifierDefinition>;
  /** Masks every value a reference resolved to. */
  masker: Masker;
}

const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Resolves `${NAME}` in job `env` values and in notifier texts (URLs, headers, addresses) from
 * `env` (the server's environment). Every resolved value is a secret: the returned masker hides
 * it. Throws BATCH_SECRET_MISSING naming each job (or notifier) and variable that is not set.
 *
 * @example
 * const { jobs, masker } = resolveJobs(file, process.env);
 */
export function resolveJobs(file: JobsFile, env: Record<string, string | undefined>): ResolvedJobs {
  const secrets = new Set<string>();
  const missing: string[] = [];
  const resolve = (text: string, where: string): string =>
    text.replace(reference, (_, name: string) => {
      const value = env[name];
      if (value === undefined) {
        missing.push(`${where} references \${${name}}, which is not set`);
        return '';
      }
      secrets.add(value);
      return value;
    });

  const jobs = file.jobs.map((job) => ({
    ...job,
    env: Object.fromEntries(
      Object.entries(job.env).map(([key, value]) => [key, resolve(value, `job ${job.name}: env.${key}`)]),
    ),
  }));
  const notifiers: Record<string, NotifierDefinition> = {};
  for (const [name, n] of Object.entries(file.notifiers)) {
    notifiers[name] = resolveNotifier(n, (text, key) => resolve(text, `notifier ${name}: ${key}`));
  }
  if (missing.length > 0) {
    throw batchError('BATCH_SECRET_MISSING', missing.join('; '), { details: { errors: missing } });
  }
  return { jobs, notifiers, masker: new Masker(secrets) };
}
