import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { type AuthService, actorOf } from '../../auth/index.ts';

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Routes whose module writes its own, richer audit entries (logins, users, keys). */
const auditedByModule = /^\/api\/v1\/(session|users|apikeys|me)(\/|$)/;

/**
 * Records every successful change made through the API by a signed-in principal: who, what
 * (`POST /api/v1/surveys/:id/publish`), on which id, from where. Answers of respondents are not
 * admin actions and are left out; bodies are never recorded (they may hold secrets). Call it
 * before registering routes: the hook goes on each route that takes an unsafe method, so reads
 * (the portal's GET on every page view) run no hook for it at all.
 *
 * @example
 * registerAuditTrail(app, { auth });
 */
export function registerAuditTrail(app: FastifyInstance, deps: { auth: AuthService }): void {
  const hook = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!unsafe.has(request.method) || reply.statusCode >= 400 || !request.principal) return;
    const route = request.routeOptions.url ?? '';
    if (!route.startsWith('/api/v1/') && !route.startsWith('/batch/')) return;
    if (auditedByModule.test(route)) return;
    const params = request.params as Record<string, string> | undefined;
    // Every parameter of the path, in order: `/quotas/:quotaId/cells/:cellId` → `qt_1/qc_2`.
    const target =
      Object.values(params ?? {})
        .filter((v) => typeof v === 'string' && v !== '')
        .join('/') || null;
    try {
      await deps.auth.audit({
        actor: actorOf(request.principal),
        action: `${request.method} ${route}`,
        target,
        detail: { status: reply.statusCode },
        ip: request.ip,
      });
    } catch (error) {
      // The change is done; a failed audit write must be seen, not turn the answer into an error.
      request.log.error({ err: error }, 'audit trail write failed');
    }
  };
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => unsafe.has(m.toUpperCase()))) return;
    const own = route.onResponse;
    route.onResponse = own ? [...(Array.isArray(own) ? own : [own]), hook] : [hook];
  });
}
