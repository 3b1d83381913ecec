import type { z } from 'zod';
import { EnqueteError } from '../kernel/index.ts';

/**
 * Parses request input with a zod schema; failures become REQUEST_INVALID naming the field.
 *
 * @example
 * const body = parse(loginBody, request.body);
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const at = issue.path.length ? `${what}.${issue.path.join('.')}` : what;
    throw new EnqueteError('REQUEST_INVALID', 'invalid', `${at}: ${issue.message}`, {
      details: { path: [what, ...issue.path.map(String)] },
    });
  }
  return result.data;
}
