import { createHash } from 'node:crypto';
import type { RunSpec } from '../runner.ts';
import type { KubernetesSettings } from './kubernetes-settings.ts';

/** The name of the one container in the Job's pod. */
export const containerName = 'job';

const managedBy = { 'app.kubernetes.io/managed-by': 'enquete' };

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** Lower-case letters, digits and inner dashes: the DNS-1123 alphabet. */
function slug(text: string, max: number): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
}

/**
 * The Job's name for one attempt of a run: `<job>-<date>-a<attempt>-<hash of the run id>`, a
 * DNS-1123 label of at most 63 characters (the job part is shortened to fit). The same attempt
 * always gets the same name, so a launcher that restarts finds the Job it created.
 *
 * @example
 * jobName({ runId: 'run_1', job: 'Nightly_ETL', date: '20260301', attempt: 1 });
 * // 'nightly-etl-20260301-a1-<8 hex>'
 */
export function jobName(spec: Pick<RunSpec, 'runId' | 'job' | 'date' | 'attempt'>): string {
  const tail = `${spec.date}-a${spec.attempt}-${hash(spec.runId, 8)}`;
  const head = slug(spec.job, 63 - tail.length - 1);
  return head === '' ? `run-${tail}` : `${head}-${tail}`;
}

/** The Secret enquete writes a job's secret env values to: one per job, replaced before each run. */
export function secretName(job: string): string {
  return `${slug(job, 40) || 'job'}-env-${hash(job, 8)}`;
}

/** ECS CPU units as Kubernetes millicores: 1024 units are one CPU, so 256 → `250m`. */
export function cpuQuantity(units: number): string {
  return `${Math.max(1, Math.round((units * 1000) / 1024))}m`;
}

/** MiB as a Kubernetes quantity: 512 → `512Mi`. */
export function memoryQuantity(mib: number): string {
  return `${Math.ceil(mib)}Mi`;
}

export interface ManifestOptions {
  namespace: string;
  /** The names of the env variables that hold secrets; they become secretKeyRef references. */
  secretVars: Set<string>;
  /** The Secret the references point to. */
  secret: string;
}

/**
 * The batch/v1 Job of an attempt: one container running the image with the job's argv as `args`
 * (so the image's ENTRYPOINT stays, as with an ECS command override), requests equal to limits,
 * `restartPolicy: Never` and `backoffLimit: 0` because enquete does the retrying.
 *
 * @example
 * const body = jobManifest(spec, settings, { namespace: 'batch', secretVars: new Set(['TOKEN']), secret });
 */
export function jobManifest(spec: RunSpec, settings: KubernetesSettings, opts: ManifestOptions) {
  const labels = {
    ...settings.labels,
    ...managedBy,
    'enquete.io/job': slug(spec.job, 63),
    'enquete.io/attempt': String(spec.attempt),
  };
  const annotations = {
    'enquete.io/job': spec.job,
    'enquete.io/run': spec.runId,
    'enquete.io/date': spec.date,
  };
  const env = Object.entries(spec.env).map(([name, value]) =>
    opts.secretVars.has(name)
      ? { name, valueFrom: { secretKeyRef: { name: opts.secret, key: name } } }
      : { name, value },
  );
  const resources: Record<string, string> = {};
  if (spec.cpu !== null) resources['cpu'] = cpuQuantity(spec.cpu);
  if (spec.memory !== null) resources['memory'] = memoryQuantity(spec.memory);
  const container: Record<string, unknown> = { name: containerName, image: spec.image, env };
  if (spec.command.length > 0) container['args'] = spec.command;
  if (spec.workdir !== null) container['workingDir'] = spec.workdir;
  if (Object.keys(resources).length > 0) container['resources'] = { requests: resources, limits: resources };
  const podSpec: Record<string, unknown> = { restartPolicy: 'Never', containers: [container] };
  if (settings.serviceAccount !== undefined) podSpec['serviceAccountName'] = settings.serviceAccount;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName(spec), namespace: opts.namespace, labels, annotations },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: settings.ttlSecondsAfterFinished ?? 3600,
      template: { metadata: { labels, annotations }, spec: podSpec },
    },
  };
}

/** The Secret holding a job's secret env values (base64 in `data`, as the API stores them). */
export function secretManifest(job: string, namespace: string, values: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: secretName(job),
      namespace,
      labels: { ...managedBy, 'enquete.io/job': slug(job, 63) },
      annotations: { 'enquete.io/job': job },
    },
    data: Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
    ),
  };
}
