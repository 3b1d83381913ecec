/**
 * The kinds of failure a domain error can be. Transports map a kind to their own vocabulary:
 * the HTTP error handler to a status code, the CLI to an exit code. Domain code never speaks HTTP.
 */
export type ErrorKind =
  | 'invalid' // the input is malformed or breaks a rule
  | 'not_found'
  | 'conflict' // the state does not allow it (already published, duplicate)
  | 'unauthenticated'
  | 'forbidden'
  | 'too_large'
  | 'rate_limited' // too many attempts; details.retryAfterSeconds says when to retry
  | 'unavailable' // a dependency is down; worth retrying
  | 'internal';

/**
 * Base of every module's error catalogue: a stable machine-readable `code` (e.g. `SURVEY_NOT_FOUND`),
 * a kind, a human message, and optional structured details (e.g. the place of a definition error).
 *
 * @example
 * throw new EnqueteError('SURVEY_NOT_FOUND', 'not_found', `survey ${id} does not exist`);
 */
export class EnqueteError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: string,
    kind: ErrorKind,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EnqueteError';
    this.code = code;
    this.kind = kind;
    this.details = options.details;
  }
}

export function isEnqueteError(error: unknown): error is EnqueteError {
  return error instanceof EnqueteError;
}
