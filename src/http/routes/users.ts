import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type AuthService, actorOf } from '../../auth/index.ts';
import { requireRole } from '../guards.ts';
import { parse } from '../validate.ts';

// Only shapes here; roles, clients, e-mails and password rules are checked by the auth module.
const text = z.string().max(1000);
const createBody = z.strictObject({
  email: text,
  name: text.nullable().optional(),
  role: text,
  client: text.nullable().optional(),
  password: text.optional(),
});
const patchBody = z.strictObject({
  name: text.nullable().optional(),
  role: text.optional(),
  client: text.nullable().optional(),
  disabled: z.boolean().optional(),
  password: text.optional(),
});
const idParams = z.object({ id: z.string().min(1).max(100) });

/**
 * User administration, admins only. A created user's password is in the answer only when it was
 * generated, and only that once.
 *
 * @example
 * userRoutes(app, { auth });
 */
export function userRoutes(app: FastifyInstance, deps: { auth: AuthService }): void {
  const { auth } = deps;

  app.get('/api/v1/users', async (request) => {
    requireRole(request, 'admin');
    return { users: await auth.listUsers() };
  });

  app.post('/api/v1/users', async (request, reply) => {
    const principal = requireRole(request, 'admin');
    const body = parse(createBody, request.body);
    const created = await auth.createUser(
      {
        email: body.email,
        role: body.role,
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.client !== undefined ? { client: body.client } : {}),
        ...(body.password !== undefined ? { password: body.password } : {}),
      },
      { actor: actorOf(principal), ip: request.ip },
    );
    reply.header('cache-control', 'no-store');
    return reply
      .status(201)
      .send({ user: created.user, password: created.generated ? created.password : null });
  });

  app.patch('/api/v1/users/:id', async (request) => {
    const principal = requireRole(request, 'admin');
    const { id } = parse(idParams, request.params, 'params');
    const body = parse(patchBody, request.body);
    const user = await auth.updateUser(id, body, { actor: actorOf(principal), ip: request.ip });
    return { user };
  });
}
