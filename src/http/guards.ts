import type { FastifyRequest } from 'fastify';
import type { Principal, Role } from '../auth/index.ts';
import { EnqueteError } from '../kernel/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook from the session cookie or the bearer key; null when anonymous. */
    principal: Principal | null;
  }
}

/**
 * The signed-in principal, or AUTH_REQUIRED (401); with roles, ROLE_FORBIDDEN (403) for others.
 *
 * @example
 * const who = requireRole(request, 'admin', 'researcher');
 */
export function requireRole(request: FastifyRequest, ...roles: Role[]): Principal {
  const principal = request.principal;
  if (!principal) throw new EnqueteError('AUTH_REQUIRED', 'unauthenticated', 'sign in or send an API key');
  if (roles.length > 0 && !roles.includes(principal.role)) {
    throw new EnqueteError('ROLE_FORBIDDEN', 'forbidden', `this needs the role ${roles.join(' or ')}`);
  }
  return principal;
}

/** The client filter for lists: a client principal sees its own client's surveys only. */
export function clientScope(principal: Principal): { client?: string | null } {
  return principal.role === 'client' ? { client: principal.client ?? '\u0000none' } : {};
}

/**
 * Refuses a client principal another client's survey. Answers SURVEY_NOT_FOUND, as if it did not
 * exist, so ids of other clients' surveys cannot be probed.
 */
export function assertCanSee(principal: Principal, survey: { id: string; client: string | null }): void {
  if (principal.role === 'client' && (principal.client === null || survey.client !== principal.client)) {
    throw new EnqueteError('SURVEY_NOT_FOUND', 'not_found', `survey ${survey.id} does not exist`);
  }
}
