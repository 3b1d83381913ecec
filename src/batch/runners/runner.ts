import type { RunnerKind } from '../jobs-file.ts';

export type LogStream = 'stdout' | 'stderr';

/** What a runner needs to start one attempt of a run; built by the service from the job. */
export interface RunSpec {
  runId: string;
  job: string;
  attempt: number;
  /** The run's date, YYYYMMDD; already in `env.DATE` and substituted for `{date}` in `command`. */
  date: string;
  /** The job's container image (container, kubernetes and ecs runners). */
  image: string | null;
  /** argv; empty means the image's own command (container runners only). */
  command: string[];
  /** The job's env with secrets resolved, plus DATE. */
  env: Record<string, string>;
  workdir: string | null;
  /** ECS units: 1024 = one vCPU. */
  cpu: number | null;
  /** MiB. */
  memory: number | null;
}

/** How a runner reports back while an attempt runs. */
export interface RunIo {
  /** One line of output, without its line break. The service masks secrets before storing it. */
  onLine(stream: LogStream, text: string): void;
  /** A note for the run log from the runner itself (e.g. the process id, the task ARN). */
  onNote(text: string): void;
  /** Aborted on timeout or cancel (`signal.reason` tells which); the runner stops the work and returns. */
  signal: AbortSignal;
  /**
   * The texts the service masks (see `Masker.patterns`): a runner that cuts an over-long line into
   * pieces must not cut inside one, or each piece would carry part of a secret unmasked.
   */
  secrets?: readonly string[];
}

/** How an attempt ended. Success is `exitCode === 0 && error === null`. */
export interface RunOutcome {
  exitCode: number | null;
  /** Why the attempt failed, in a line; null on success or a plain non-zero exit. */
  error: string | null;
  /** False when retrying cannot help (the command does not exist, the image is unknown…). */
  retryable: boolean;
}

/**
 * The port every backend implements: `local` (a child process), later `container` (podman or
 * docker), `kubernetes` (a batch/v1 Job) and `ecs` (a Fargate task). A runner never throws for a
 * failing job: it answers with an outcome. It runs one attempt; retries are the service's.
 *
 * @example
 * const outcome = await runner.run(spec, { onLine, onNote, signal });
 */
export interface Runner {
  readonly kind: RunnerKind;
  run(spec: RunSpec, io: RunIo): Promise<RunOutcome>;
}

/** True when an outcome is a success. */
export function succeeded(outcome: RunOutcome): boolean {
  return outcome.exitCode === 0 && outcome.error === null;
}
