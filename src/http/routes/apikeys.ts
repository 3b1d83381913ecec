import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type AuthService, actorOf } from '../../auth/index.ts';
import { requireRole } from '../guards.ts';
import { parse } from '../validate.ts';

const createBody = z.strictObject({
  name: z.string().max(1000),
  role: z.string().max(100),
  client: z.string().max(1000).nullable().optional(),
});
const idParams = z.object({ id: z.string().min(1).max(100) });

/**
 * API key administration, admins only. The key itself is in the creation answer and nowhere else.
 *
 * @example
 * apiKeyRoutes(app, { auth });
 */
export function apiKeyRoutes(app: FastifyInstance, deps: { auth: AuthService }): void {
  const { auth } = deps;

  app.get('/api/v1/apikeys', async (request) => {
    requireRole(request, 'admin');
    return { apiKeys: await auth.listApiKeys() };
  });

  app.post('/api/v1/apikeys', async (request, reply) => {
    const principal = requireRole(request, 'admin');
    const body = parse(createBody, request.body);
    const created = await auth.createApiKey({
      name: body.name,
      role: body.role,
      client: body.client ?? null,
      actor: actorOf(principal),
      ip: request.ip,
    });
    reply.header('cache-control', 'no-store');
    return reply.status(201).send(created);
  });

  app.delete('/api/v1/apikeys/:id', async (request, reply) => {
    const principal = requireRole(request, 'admin');
    const { id } = parse(idParams, request.params, 'params');
    await auth.revokeApiKey(id, { actor: actorOf(principal), ip: request.ip });
    return reply.status(204).send();
  });
}
