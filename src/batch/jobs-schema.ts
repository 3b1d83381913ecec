import { z } from 'zod';
import { isTimeZone } from './dates.ts';
import { parseDuration } from './duration.ts';

/**
 * The zod schemas of jobs.yaml, as written by people: every key of the original list form
 * (endpoint, image, cmd, cpu, memory, env, retryable) plus the optional richer keys. Defaults and
 * cross-key rules are applied afterwards by `jobs-file.ts`.
 */

const duration = z.union([z.string(), z.number()]).refine((v) => parseDuration(v) !== undefined, {
  message: 'expected a duration such as 90s, 30m or 1h30m',
});

const envValue = z
  .union([z.string(), z.number(), z.boolean()], { error: 'expected a text value' })
  .transform((v) => String(v));

export const runnerKinds = ['local', 'container', 'kubernetes', 'ecs'] as const;
export const overlapPolicies = ['skip', 'queue', 'allow', 'replace'] as const;
export const catchupPolicies = ['skip', 'once', 'all'] as const;

const retrySchema = z.strictObject({
  attempts: z.number().int().min(1).max(100).optional(),
  minBackoff: duration.optional(),
  maxBackoff: duration.optional(),
  maxDoublings: z.number().int().min(0).max(30).optional(),
});

const catchupSchema = z.union(
  [
    z.enum(catchupPolicies),
    z.strictObject({ policy: z.enum(catchupPolicies), max: z.number().int().min(1).max(10_000).optional() }),
  ],
  { error: 'expected skip, once, all or {policy, max}' },
);

const notifySchema = z.union([z.string().min(1), z.array(z.string().min(1))], {
  error: 'expected a notifier name or a list of names',
});

const timezone = z
  .string()
  .refine(isTimeZone, { message: 'expected an IANA time zone such as Europe/Paris' });

/** Keys that `defaults` may set for every job. */
const sharedKeys = {
  image: z.string().min(1).optional(),
  cpu: z.number().positive().optional(),
  memory: z.number().positive().optional(),
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a variable name'), envValue)
    .optional(),
  workdir: z.string().min(1).optional(),
  timezone: timezone.optional(),
  runner: z.enum(runnerKinds).optional(),
  timeout: duration.optional(),
  /** Each scheduled run starts up to this long after its instant (spreads midnight); its date stays. */
  jitter: duration.optional(),
  retryable: z.boolean().optional(),
  retry: retrySchema.optional(),
  overlap: z.enum(overlapPolicies).optional(),
  catchup: catchupSchema.optional(),
  notify: notifySchema.optional(),
};

export const defaultsSchema = z.strictObject(sharedKeys);

export const jobSchema = z.strictObject({
  ...sharedKeys,
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
      'expected letters, digits, _ . - (starting with a letter or digit)',
    )
    .optional(),
  endpoint: z
    .string()
    .regex(/^(\/[A-Za-z0-9_.-]+)+$/, 'expected a path such as /ibis/update_answer')
    .optional(),
  description: z.string().optional(),
  cmd: z
    .union([z.string().min(1), z.array(z.string()).min(1)], { error: 'expected a command or a list' })
    .optional(),
  args: z.array(z.union([z.string(), z.number()]).transform((v) => String(v))).optional(),
  schedule: z.string().min(1).optional(),
  /** Checked against the job's runner kind by `runners/runner-settings.ts`. */
  runnerOptions: z.unknown().optional(),
});

export const topLevelSchema = z.strictObject({
  defaults: z.unknown().optional(),
  notifiers: z
    .record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a notifier name'), z.unknown())
    .optional(),
  /** Checked by `runners/runner-settings.ts`. */
  runners: z.unknown().optional(),
  jobs: z.array(z.unknown(), { error: 'expected a list of jobs' }),
});

export type JobInput = z.infer<typeof jobSchema>;
export type DefaultsInput = z.infer<typeof defaultsSchema>;

/** Renders a zod issue as `key: message`, in words a YAML author understands. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
  let message = issue.message;
  if (issue.code === 'invalid_type') {
    const names: Record<string, string> = {
      number: 'a number',
      string: 'a text',
      boolean: 'true or false',
      array: 'a list',
      object: 'a map',
      record: 'a map',
      int: 'a whole number',
    };
    message = `expected ${names[issue.expected] ?? issue.expected}`;
  } else if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${key ? `${key}.` : ''}${k}: unknown key`).join('; ');
  } else if (issue.code === 'invalid_value') {
    message = `expected one of ${issue.values.map(String).join(', ')}`;
  } else if (issue.code === 'too_small' && issue.origin === 'string') {
    message = 'must not be empty';
  }
  return key ? `${key}: ${message}` : message;
}
