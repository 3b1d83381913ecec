import { isoNow } from '../kernel/index.ts';
import { writeAudit } from './audit.ts';
import type { AuthDeps } from './deps.ts';
import { authErrors } from './errors.ts';
import { normalizeEmail } from './rules.ts';
import {
  dummyPasswordHash,
  hashPassword,
  maxSecretLength,
  needsRehash,
  sha256,
  verifyPassword,
} from './secrets.ts';
import type { Principal, User } from './types.ts';
import { toUser } from './users.ts';

/**
 * Sessions slide: each use within the idle time extends them to 12 h after the last use, but never
 * past 7 days after the login. The extension is written at most every 5 minutes, not per request.
 */
export const sessionPolicy = {
  idleMs: 12 * 60 * 60 * 1000,
  absoluteMs: 7 * 24 * 60 * 60 * 1000,
  refreshAfterMs: 5 * 60 * 1000,
} as const;

/** Failed logins per e-mail and address within the window before LOGIN_THROTTLED. */
export const loginThrottle = { maxFailures: 10, windowMs: 15 * 60 * 1000 } as const;

export interface LoginResult {
  /** The cookie value; only its sha256 is stored. */
  token: string;
  user: User;
  /** When the session ends if unused. */
  expiresAt: string;
  /** When it ends however much it is used: the cookie's lifetime. */
  endsAt: string;
}

/**
 * Checks e-mail and password and opens a session. Every path that reaches the password check
 * costs one argon2 verify (unknown e-mail and disabled user included), and every failure is the
 * same LOGIN_FAILED, so neither timing nor answer tells whether an e-mail has an account.
 */
export async function login(
  deps: AuthDeps,
  emailInput: string,
  password: string,
  ip: string | null,
): Promise<LoginResult> {
  const { db, clock, ids } = deps;
  const email = safeEmail(emailInput);
  await assertNotThrottled(deps, email, ip);
  const row = email
    ? await db.kysely.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst()
    : undefined;
  const passwordOk = await verifyPassword(row?.password_hash ?? dummyPasswordHash, password);
  if (!row || !passwordOk || row.disabled_at !== null) {
    const reason = !row ? 'unknown_email' : !passwordOk ? 'wrong_password' : 'disabled';
    await writeAudit(db, clock, {
      actor: 'anonymous',
      action: 'login.failed',
      target: email ?? emailInput.slice(0, 320),
      detail: { reason },
      ip,
    });
    throw authErrors.loginFailed();
  }
  if (needsRehash(row.password_hash)) {
    await db.kysely
      .updateTable('users')
      .set({ password_hash: await hashPassword(password) })
      .where('id', '=', row.id)
      .execute();
  }
  const now = clock.now().getTime();
  const token = ids.token();
  const expiresAt = new Date(now + sessionPolicy.idleMs).toISOString();
  const endsAt = new Date(now + sessionPolicy.absoluteMs).toISOString();
  const nowIso = isoNow(clock);
  await db.kysely
    .deleteFrom('sessions')
    .where('user_id', '=', row.id)
    .where('expires_at', '<=', nowIso)
    .execute();
  await db.kysely
    .insertInto('sessions')
    .values({ id: sha256(token), user_id: row.id, created_at: nowIso, expires_at: expiresAt, ip })
    .execute();
  await writeAudit(db, clock, { actor: `user:${row.id}`, action: 'login.ok', target: email, ip });
  return { token, user: toUser(row), expiresAt, endsAt };
}

function safeEmail(email: string): string | null {
  try {
    return normalizeEmail(email);
  } catch {
    return null;
  }
}

/**
 * Counts failed logins for this e-mail and address in the window, after the last success. The
 * audit log is the counter, so the limit holds across server processes.
 */
async function assertNotThrottled(deps: AuthDeps, email: string | null, ip: string | null): Promise<void> {
  if (email === null) return;
  const { db, clock } = deps;
  const now = clock.now().getTime();
  const windowStart = new Date(now - loginThrottle.windowMs).toISOString();
  const forThisPair = db.kysely
    .selectFrom('audit_log')
    .where('target', '=', email)
    .where('ip', ip === null ? 'is' : '=', ip)
    .where('at', '>=', windowStart);
  const lastOk = await forThisPair
    .select((eb) => eb.fn.max('at').as('at'))
    .where('action', '=', 'login.ok')
    .executeTakeFirst();
  const failures = await forThisPair
    .select(['at'])
    .where('action', '=', 'login.failed')
    .$if(Boolean(lastOk?.at), (q) => q.where('at', '>', lastOk!.at!))
    .orderBy('at', 'asc')
    .limit(loginThrottle.maxFailures)
    .execute();
  if (failures.length < loginThrottle.maxFailures) return;
  const oldest = new Date(failures[0]!.at).getTime();
  const retryAfterSeconds = Math.max(1, Math.ceil((oldest + loginThrottle.windowMs - now) / 1000));
  await writeAudit(db, clock, { actor: 'anonymous', action: 'login.throttled', target: email, ip });
  throw authErrors.loginThrottled(retryAfterSeconds);
}

/**
 * The principal of a session cookie, or null when it is unknown, expired or its user disabled.
 * Extends the session as described in {@link sessionPolicy}.
 */
export async function resolveSession(deps: AuthDeps, token: string): Promise<Principal | null> {
  if (!token || token.length > maxSecretLength) return null;
  const { db, clock } = deps;
  const id = sha256(token);
  const row = await db.kysely
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.created_at',
      'sessions.expires_at',
      'users.id as user_id',
      'users.email',
      'users.role',
      'users.client',
      'users.disabled_at',
    ])
    .where('sessions.id', '=', id)
    .executeTakeFirst();
  if (!row) return null;
  const now = clock.now().getTime();
  const end = Date.parse(row.created_at) + sessionPolicy.absoluteMs;
  const expires = Date.parse(row.expires_at);
  if (expires <= now || end <= now || row.disabled_at !== null) {
    await db.kysely.deleteFrom('sessions').where('id', '=', id).execute();
    return null;
  }
  if (expires - now < sessionPolicy.idleMs - sessionPolicy.refreshAfterMs) {
    const next = new Date(Math.min(now + sessionPolicy.idleMs, end)).toISOString();
    await db.kysely.updateTable('sessions').set({ expires_at: next }).where('id', '=', id).execute();
  }
  return { kind: 'user', id: row.user_id, label: row.email, role: row.role, client: row.client };
}

/** Ends a session; unknown tokens are ignored (logging out twice is harmless). */
export async function logout(deps: AuthDeps, token: string, ip: string | null): Promise<void> {
  if (!token || token.length > maxSecretLength) return;
  const { db, clock } = deps;
  const row = await db.kysely
    .deleteFrom('sessions')
    .where('id', '=', sha256(token))
    .returning('user_id')
    .executeTakeFirst();
  if (row) await writeAudit(db, clock, { actor: `user:${row.user_id}`, action: 'logout', ip });
}
