import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuthService } from '../../auth/index.ts';
import { requireRole } from '../guards.ts';
import { parse } from '../validate.ts';

const auditQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

/**
 * The audit log, newest first, admins only.
 *
 * @example
 * auditRoutes(app, { auth });
 */
export function auditRoutes(app: FastifyInstance, deps: { auth: AuthService }): void {
  const { auth } = deps;
  app.get('/api/v1/audit', async (request) => {
    requireRole(request, 'admin');
    const { limit } = parse(auditQuery, request.query, 'query');
    return { entries: await auth.listAudit(limit) };
  });
}
