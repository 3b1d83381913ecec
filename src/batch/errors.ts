import { EnqueteError, type ErrorKind } from '../kernel/index.ts';

/**
 * The batch module's error catalogue. Codes are stable: the HTTP layer maps kinds to statuses,
 * the CLI to exit codes, and scripts may match on the code.
 */
export const batchErrors = {
  /** jobs.yaml does not parse or breaks a rule; details.errors lists every problem. */
  BATCH_JOBS_INVALID: 'invalid',
  /** An `env` value references `${NAME}` that the environment does not hold. */
  BATCH_SECRET_MISSING: 'invalid',
  BATCH_JOB_NOT_FOUND: 'not_found',
  BATCH_RUN_NOT_FOUND: 'not_found',
  /** A run date that is not a real calendar day in the form YYYYMMDD. */
  BATCH_DATE_INVALID: 'invalid',
  /** A backfill range that is reversed or too long. */
  BATCH_RANGE_INVALID: 'invalid',
  /** The run is already finished and cannot be cancelled. */
  BATCH_RUN_FINISHED: 'conflict',
  /** The job's runner is not configured in this process. */
  BATCH_RUNNER_UNAVAILABLE: 'unavailable',
  /** A run started from the CLI ended in failure (the CLI exits non-zero). */
  BATCH_RUN_FAILED: 'internal',
  /** A notifier gave up delivering an event. */
  BATCH_NOTIFY_FAILED: 'unavailable',
} as const satisfies Record<string, ErrorKind>;

export type BatchErrorCode = keyof typeof batchErrors;

/**
 * Builds a batch error with the kind from the catalogue.
 *
 * @example
 * throw batchError('BATCH_JOB_NOT_FOUND', `no job named ${name}`);
 */
export function batchError(
  code: BatchErrorCode,
  message: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): EnqueteError {
  return new EnqueteError(code, batchErrors[code], message, options);
}
