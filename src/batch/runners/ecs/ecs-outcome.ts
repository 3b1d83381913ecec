import type { Failure, Task } from '@aws-sdk/client-ecs';
import type { RunOutcome } from '../runner.ts';

/** Registry answers that no retry will change. */
const imageGone = /not found|manifest unknown|does not exist|access denied|unauthorized|forbidden/i;
/** A command the image cannot run. */
const cannotExec = /executable file not found|no such file or directory|exec format error|permission denied/i;

/**
 * A RunTask failure (the task was not placed) as an outcome: a lack of capacity or resources
 * (`RESOURCE:CPU`, `RESOURCE:MEMORY`, `RESOURCE:ENI`, `AGENT`, "Capacity is unavailable at this
 * time") may pass, so it is retryable; anything else (`ATTRIBUTE`, a bad platform…) is not.
 *
 * @example
 * placementOutcome({ reason: 'RESOURCE:MEMORY' }); // { exitCode: null, error: '…', retryable: true }
 */
export function placementOutcome(failure: Failure): RunOutcome {
  const reason = failure.reason ?? 'unknown';
  const retryable = /^RESOURCE:|^AGENT$|^MISSING$|capacity/i.test(reason);
  const detail = failure.detail ? ` (${failure.detail})` : '';
  return { exitCode: null, error: `ECS could not start the task: ${reason}${detail}`, retryable };
}

const refusals = new Set([
  'InvalidParameterException',
  'ClientException',
  'AccessDeniedException',
  'ClusterNotFoundException',
  'PlatformUnknownException',
  'PlatformTaskDefinitionIncompatibilityException',
  'UnsupportedFeatureException',
  'BlockedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'CredentialsProviderError',
]);

/** Client faults that waiting cures. */
const transient = new Set(['ThrottlingException', 'LimitExceededException', 'TooManyRequestsException']);

/**
 * An error thrown by an ECS call as an outcome: the service refusing the request (bad
 * parameters, no access, no cluster) is not retryable; throttling, server faults and the network
 * are.
 */
export function callOutcome(error: unknown, what: string): RunOutcome {
  const e = error as { name?: string; message?: string; $fault?: string };
  const name = e.name ?? 'Error';
  // Without a region or credentials the SDK fails before any call: configuration, not luck.
  const unconfigured = /region is missing|could not load credentials/i.test(e.message ?? '');
  const retryable = transient.has(name) || (!refusals.has(name) && e.$fault !== 'client' && !unconfigured);
  return { exitCode: null, error: `${what} failed: ${name}: ${e.message ?? String(error)}`, retryable };
}

/**
 * A STOPPED task as an outcome. When the essential container ran, its exit code decides (with the
 * container's reason, e.g. `OutOfMemoryError`, as the error of a non-zero exit); otherwise the
 * stop code and reason say why: CannotPullContainerError, ResourceInitializationError, spot
 * interruptions and the like are retryable, an image the registry does not have or a command the
 * image cannot run are not.
 */
export function stoppedOutcome(task: Task, container: string): RunOutcome {
  const c = task.containers?.find((x) => x.name === container);
  if (typeof c?.exitCode === 'number') {
    const error = c.exitCode !== 0 && c.reason ? `container ${c.reason}` : null;
    return { exitCode: c.exitCode, error, retryable: true };
  }
  const text = [task.stoppedReason, c?.reason].filter(Boolean).join(': ') || 'no reason given';
  const error = `the task stopped (${task.stopCode ?? 'no stop code'}): ${text}`;
  if (/CannotPullContainerError/.test(text))
    return { exitCode: null, error, retryable: !imageGone.test(text) };
  if (/CannotStartContainerError/.test(text))
    return { exitCode: null, error, retryable: !cannotExec.test(text) };
  return { exitCode: null, error, retryable: true };
}
