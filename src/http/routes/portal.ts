import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DistributionService } from '../../distribution/index.ts';
import { requireRole } from '../guards.ts';
import { parse } from '../validate.ts';

const memberParams = z.object({ externalId: z.string().min(1).max(200) });

/**
 * The member portal's question, "what is open for this member?", for API keys with role
 * `portal` (and admins). It is the hot path (the portal asks on every top-page view): answered
 * from the distribution module's in-process cache (fresh within 1 s of any process's write, at
 * once for this process's), nothing written per request (GET is not audited), and never cached
 * on the way (`no-store`), since the answer changes as the member answers.
 *
 * @example
 * portalRoutes(app, { distribution: ctx.distribution });
 * // curl -H 'authorization: Bearer enq_…' …/api/v1/portal/members/M-1024/surveys
 */
export function portalRoutes(app: FastifyInstance, deps: { distribution: DistributionService }): void {
  const { distribution } = deps;
  // Not an async handler: a member in the cache is answered in this turn, with no promise (a
  // returned Buffer is sent at once, a returned promise when it settles; a throw is an error).
  app.get('/api/v1/portal/members/:externalId/surveys', (request, reply) => {
    requireRole(request, 'portal', 'admin');
    const { externalId } = parse(memberParams, request.params, 'params');
    reply.header('cache-control', 'private, no-store').type('application/json; charset=utf-8');
    // The answer comes as bytes kept in the cache: nothing to build, serialize or encode.
    return distribution.portalSurveysJson(externalId);
  });
}
