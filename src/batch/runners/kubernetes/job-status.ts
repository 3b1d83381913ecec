import type { RunOutcome } from '../runner.ts';
import { containerName } from './job-manifest.ts';

/** The parts of a batch/v1 Job the runner reads. */
export interface KubeJob {
  metadata: { name: string; resourceVersion?: string; uid?: string };
  status?: {
    succeeded?: number;
    failed?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** The parts of a v1 Pod the runner reads. */
export interface KubePod {
  metadata: { name: string; creationTimestamp?: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    containerStatuses?: {
      name: string;
      state?: {
        waiting?: { reason?: string; message?: string };
        running?: { startedAt?: string };
        terminated?: { exitCode: number; reason?: string; message?: string };
      };
    }[];
  };
}

export type JobState =
  | { done: false }
  | { done: true; succeeded: boolean; reason: string | null; message: string | null };

/** Whether a Job has finished: its Complete or Failed condition, or a succeeded or failed pod. */
export function jobState(job: KubeJob): JobState {
  const conditions = job.status?.conditions ?? [];
  const final = conditions.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  if (final) {
    return {
      done: true,
      succeeded: final.type === 'Complete',
      reason: final.reason ?? null,
      message: final.message ?? null,
    };
  }
  if ((job.status?.succeeded ?? 0) > 0) return { done: true, succeeded: true, reason: null, message: null };
  if ((job.status?.failed ?? 0) > 0) return { done: true, succeeded: false, reason: null, message: null };
  return { done: false };
}

function ourContainer(pod: KubePod) {
  return pod.status?.containerStatuses?.find((c) => c.name === containerName);
}

/** True once the pod's container runs or has run, so that it has logs to read. */
export function hasStarted(pod: KubePod): boolean {
  const state = ourContainer(pod)?.state;
  return state?.running !== undefined || state?.terminated !== undefined;
}

/** The container's exit, once it has terminated. */
export function terminated(pod: KubePod) {
  return ourContainer(pod)?.state?.terminated ?? null;
}

const badImage =
  /not found|manifest unknown|pull access denied|unauthorized|repository does not exist|denied/i;

/**
 * A pod that will never run its container, as an outcome: an invalid image name, a missing
 * secret key (CreateContainerConfigError), or an image pull that has gone into back-off (not
 * retryable when the registry says the image does not exist or access is denied). Null while the
 * pod may still start.
 */
export function stuckPod(pod: KubePod): RunOutcome | null {
  const waiting = ourContainer(pod)?.state?.waiting;
  const reason = waiting?.reason;
  if (!reason) return null;
  const said = `${reason}${waiting.message ? `: ${waiting.message}` : ''}`;
  if (['InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError'].includes(reason)) {
    return { exitCode: null, error: `the pod cannot start: ${said}`, retryable: false };
  }
  if (reason === 'ImagePullBackOff') {
    return { exitCode: null, error: `the image cannot be pulled: ${said}`, retryable: !badImage.test(said) };
  }
  return null;
}

/**
 * The outcome of a finished Job: the container's exit code when the pod ran (with the reason,
 * such as OOMKilled, when it was killed), else the Job's failure reason.
 */
export function finishedOutcome(state: Extract<JobState, { done: true }>, pod: KubePod | null): RunOutcome {
  const exit = pod ? terminated(pod) : null;
  if (exit) {
    const killed = exit.reason && !['Completed', 'Error'].includes(exit.reason);
    return { exitCode: exit.exitCode, error: killed ? `container ${exit.reason}` : null, retryable: true };
  }
  if (state.succeeded) return { exitCode: 0, error: null, retryable: true };
  const why = [state.reason, state.message, pod?.status?.reason, pod?.status?.message].filter(Boolean);
  return { exitCode: null, error: `the Job failed: ${why.join(': ') || 'no reason given'}`, retryable: true };
}
