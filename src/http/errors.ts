import type { FastifyError, FastifyInstance } from 'fastify';
import { type ErrorKind, isEnqueteError } from '../kernel/index.ts';

/** The HTTP status of each kind of domain error. */
export const statusOf: Record<ErrorKind, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  unauthenticated: 401,
  forbidden: 403,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** The one error body shape: `{"error": {"code", "message", ...details}}`. Never a stack. */
export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, ...(details ? { details } : {}) } };
}

/** Maps domain errors by kind, Fastify's own errors by status; logs only what is unexpected. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isEnqueteError(error)) {
      const status = statusOf[error.kind];
      if (status >= 500) request.log.error({ err: error }, error.message);
      const retryAfter = error.details?.['retryAfterSeconds'];
      if (typeof retryAfter === 'number') reply.header('retry-after', String(Math.ceil(retryAfter)));
      return reply.status(status).send(errorBody(error.code, error.message, error.details));
    }
    if (error.validation) {
      return reply.status(400).send(errorBody('REQUEST_INVALID', error.message));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send(errorBody('BODY_TOO_LARGE', 'request body is too large'));
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.status(415).send(errorBody('UNSUPPORTED_MEDIA_TYPE', error.message));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      const code = error.code?.startsWith('FST_ERR_CTP_') ? 'BODY_INVALID' : 'REQUEST_INVALID';
      return reply.status(error.statusCode).send(errorBody(code, error.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(errorBody('INTERNAL', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(errorBody('ROUTE_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}
