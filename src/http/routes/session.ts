import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type AuthService, sessionPolicy } from '../../auth/index.ts';
import type { Config } from '../../config/index.ts';
import { EnqueteError } from '../../kernel/index.ts';
import { requireRole } from '../guards.ts';
import { assertSameOrigin, sessionCookieName, sessionCookieOptions } from '../plugins/authenticate.ts';
import { parse } from '../validate.ts';

// Formats and lengths are the auth module's business: any malformed e-mail is just LOGIN_FAILED.
const loginBody = z.strictObject({
  email: z.string().max(1000),
  password: z.string().min(1).max(1000),
});

const passwordBody = z.strictObject({
  current: z.string().min(1).max(1000),
  password: z.string().min(1).max(1000),
});

/**
 * Console login and logout, who am I, and a user's own password.
 *
 * @example
 * sessionRoutes(app, { auth, config });
 */
export function sessionRoutes(
  app: FastifyInstance,
  deps: { auth: AuthService; config: Pick<Config, 'publicUrl'> },
): void {
  const { auth, config } = deps;

  app.post('/api/v1/session', async (request, reply) => {
    // Login CSRF: a browser always sends Origin on a cross-site POST; scripts may send none.
    if (request.headers.origin) assertSameOrigin(request, config.publicUrl);
    const body = parse(loginBody, request.body);
    const session = await auth.login(body.email, body.password, request.ip);
    // The session was just opened, so the cookie lives exactly as long as the session can.
    const maxAge = sessionPolicy.absoluteMs / 1000;
    reply.setCookie(
      sessionCookieName,
      session.token,
      sessionCookieOptions(request, config.publicUrl, maxAge),
    );
    reply.header('cache-control', 'no-store');
    return { user: publicUser(session.user) };
  });

  app.delete('/api/v1/session', async (request, reply) => {
    const token = request.cookies[sessionCookieName];
    if (token) await auth.logout(token, request.ip);
    reply.clearCookie(sessionCookieName, sessionCookieOptions(request, config.publicUrl));
    return reply.status(204).send();
  });

  app.get('/api/v1/me', async (request, reply) => {
    const principal = requireRole(request);
    reply.header('cache-control', 'no-store');
    if (principal.kind === 'apikey') {
      const { id, label, role, client } = principal;
      return { apiKey: { id, name: label, role, client } };
    }
    return { user: publicUser(await auth.getUser(principal.id)) };
  });

  // Users only (an API key has no password); the session it is changed from stays open.
  app.post('/api/v1/me/password', async (request, reply) => {
    const principal = requireRole(request);
    if (principal.kind !== 'user') {
      throw new EnqueteError(
        'PASSWORD_NOT_FOR_KEYS',
        'forbidden',
        'an API key has no password; sign in as a user',
      );
    }
    const body = parse(passwordBody, request.body);
    await auth.changeOwnPassword(principal.id, body, {
      actor: `user:${principal.id}`,
      ip: request.ip,
      keepSession: request.cookies[sessionCookieName],
    });
    return reply.status(204).send();
  });
}

function publicUser(user: {
  id: string;
  email: string;
  name: string | null;
  role: string;
  client: string | null;
}) {
  return { id: user.id, email: user.email, name: user.name, role: user.role, client: user.client };
}
