import { z } from 'zod';
import { durationSetting, patternText } from '../settings-fields.ts';

const dnsLabel = patternText(
  /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
  'expected a DNS label (lower-case letters, digits, -)',
);
const dnsSubdomain = patternText(
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
  'expected a DNS name (lower-case letters, digits, - .)',
);

/**
 * Settings of the Kubernetes runner, in `runners.kubernetes` of jobs.yaml and, per job, in
 * `runnerOptions`.
 */
export const kubernetesSettingsSchema = z.strictObject({
  /** A kubeconfig file; default `$KUBECONFIG`, then `~/.kube/config`, then the in-cluster account. */
  kubeconfig: z.string().min(1).optional(),
  /** The kubeconfig context; default its `current-context`. */
  context: z.string().min(1).optional(),
  /** Use the pod's service account even when a kubeconfig exists. */
  inCluster: z.boolean().optional(),
  /** Default: the context's namespace, the pod's namespace in a cluster, else `default`. */
  namespace: dnsLabel.optional(),
  serviceAccount: dnsSubdomain.optional(),
  /**
   * An existing Secret holding the job's secret env vars, one key per variable name. Without it,
   * enquete writes the resolved values to a Secret of its own named after the job.
   */
  secretName: dnsSubdomain.optional(),
  /** How long Kubernetes keeps a finished Job if enquete could not delete it. Default 3600. */
  ttlSecondsAfterFinished: z.number().int().min(0).optional(),
  /** Pod checks, and Job polling when watching is refused. Default 2s. */
  pollInterval: durationSetting('2s').optional(),
  /** Extra labels on the Job and its pod. */
  labels: z.record(z.string(), z.string()).optional(),
});

export type KubernetesSettings = z.infer<typeof kubernetesSettingsSchema>;
