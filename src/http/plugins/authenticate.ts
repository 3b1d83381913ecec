import { type CookieSerializeOptions, fastifyCookie } from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService, Principal } from '../../auth/index.ts';
import type { Config } from '../../config/index.ts';
import { EnqueteError } from '../../kernel/index.ts';

/** The console session cookie. */
export const sessionCookieName = 'enquete_session';

export interface AuthenticationDeps {
  auth: AuthService;
  config: Pick<Config, 'publicUrl'>;
}

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Sets `request.principal` on every request: from `Authorization: Bearer enq_…` (an API key) or
 * else from the `enquete_session` cookie. Call it before registering routes.
 *
 * A bearer token that is not ours (no `enq_` mark, e.g. a scheduler's identity token) is ignored;
 * an `enq_` key that is unknown or revoked answers 401 APIKEY_INVALID at once. Cookie-authenticated
 * unsafe requests must come from our own origin (403 CSRF_REJECTED); API keys are exempt, since a
 * browser never adds them by itself.
 *
 * @example
 * await registerAuthentication(app, { auth, config });
 * app.get('/api/v1/me', async (request) => requireRole(request));
 */
export async function registerAuthentication(app: FastifyInstance, deps: AuthenticationDeps): Promise<void> {
  const { auth, config } = deps;
  // The plugin's own parsing hook is off (`hook: false`): this hook parses the cookies, one hook
  // less on every request. The plugin still writes the cookies that routes set.
  if (!app.hasRequestDecorator('cookies')) await app.register(fastifyCookie, { hook: false });
  app.decorateRequest('principal', null);
  // A callback hook, not an async one: a key trusted a moment ago is answered in this turn, with
  // no promise (the portal asks on every page view).
  app.addHook('onRequest', (request, _reply, done) => {
    const cookie = request.headers.cookie;
    request.cookies = cookie ? app.parseCookie(cookie) : {};
    // Respondent routes (and the unsubscribe link) are authorised by their token alone: no session
    // lookup on the hot path, and no CSRF refusal for a respondent who is signed in to the console.
    if (isRespondentUrl(request.url)) return done();
    const bearer = bearerOf(request.headers.authorization);
    if (bearer?.startsWith('enq_')) {
      const resolved = auth.resolveApiKey(bearer);
      if (!(resolved instanceof Promise)) return done(signInWithKey(request, resolved));
      resolved.then((principal) => done(signInWithKey(request, principal)), done);
      return;
    }
    const token = request.cookies[sessionCookieName];
    if (!token) return done();
    auth
      .resolveSession(token)
      .then((principal) => done(signInWithSession(request, principal, config.publicUrl)), done);
  });
}

/** Signs the request in with a session's principal; CSRF_REJECTED for a cross-site unsafe request. */
function signInWithSession(
  request: FastifyRequest,
  principal: Principal | null,
  publicUrl: string,
): Error | undefined {
  if (!principal) return undefined;
  try {
    if (unsafeMethods.has(request.method)) assertSameOrigin(request, publicUrl);
  } catch (error) {
    return error as Error;
  }
  request.principal = principal;
  return undefined;
}

/** Signs the request in with a key's principal; the error to answer for an unknown or revoked key. */
function signInWithKey(request: FastifyRequest, principal: Principal | null): EnqueteError | undefined {
  if (!principal)
    return new EnqueteError('APIKEY_INVALID', 'unauthenticated', 'the API key is unknown or revoked');
  request.principal = principal;
  return undefined;
}

function isRespondentUrl(url: string): boolean {
  return (
    url.startsWith('/api/v1/respond/') ||
    url.startsWith('/s/') ||
    url.startsWith('/o/') ||
    url.startsWith('/u/')
  );
}

function bearerOf(header: string | undefined): string | null {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match ? match[1]! : null;
}

/**
 * Throws CSRF_REJECTED unless the request's `Origin` (or, without one, `Referer`) names this
 * host (as the request or a proxy's X-Forwarded-Host gives it) or the configured public URL.
 */
export function assertSameOrigin(request: FastifyRequest, publicUrl: string): void {
  const source = request.headers.origin ?? request.headers.referer;
  if (!sameOrigin(source, request.host, publicUrl)) {
    throw new EnqueteError('CSRF_REJECTED', 'forbidden', 'cross-site request refused: Origin does not match');
  }
}

function sameOrigin(source: string | undefined, requestHost: string, publicUrl: string): boolean {
  if (!source || source === 'null') return false;
  let from: URL;
  try {
    from = new URL(source);
  } catch {
    return false;
  }
  const hostOf = (host: string) => {
    try {
      // Same scheme as the source, so default ports (":443") compare equal to none.
      return new URL(`${from.protocol}//${host}`).host;
    } catch {
      return null;
    }
  };
  if (requestHost && from.host === hostOf(requestHost)) return true;
  try {
    return from.origin === new URL(publicUrl).origin;
  } catch {
    return false;
  }
}

/**
 * Cookie attributes: httpOnly, SameSite=Lax, Path=/, Secure when the public URL is https or
 * the request came over https.
 */
export function sessionCookieOptions(
  request: FastifyRequest,
  publicUrl: string,
  maxAgeSeconds?: number,
): CookieSerializeOptions {
  return {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: publicUrl.startsWith('https:') || request.protocol === 'https',
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
  };
}
