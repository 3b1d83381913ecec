import type { Selectable } from 'kysely';
import { isUniqueViolation, type UsersTable } from '../db/index.ts';
import { isEnqueteError, isoNow } from '../kernel/index.ts';
import { writeAudit } from './audit.ts';
import type { AuthDeps } from './deps.ts';
import { authErrors } from './errors.ts';
import { checkRoleAndClient, normalizeEmail, normalizeName } from './rules.ts';
import { checkPassword, hashPassword, sha256, verifyPassword } from './secrets.ts';
import { type By, type User, type UserRole, userRoles } from './types.ts';

export interface NewUser {
  email: string;
  name?: string | null;
  role: string;
  client?: string | null;
  /** When absent, a random one is generated and returned once. */
  password?: string;
}

export interface UserPatch {
  name?: string | null;
  role?: string;
  /** Required when the role becomes `client`; cleared when the role leaves `client`. */
  client?: string | null;
  disabled?: boolean;
  password?: string;
}

export interface CreatedUser {
  user: User;
  password: string;
  generated: boolean;
}

export function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    client: row.client,
    createdAt: row.created_at,
    disabled: row.disabled_at !== null,
    disabledAt: row.disabled_at,
  };
}

export async function createUser(deps: AuthDeps, input: NewUser, by: By): Promise<CreatedUser> {
  const email = normalizeEmail(input.email);
  const name = normalizeName(input.name);
  const { role, client } = checkRoleAndClient(input.role, input.client, userRoles);
  const generated = input.password === undefined;
  const password = input.password ?? deps.ids.token();
  checkPassword(password);
  const row = {
    id: deps.ids.id('us'),
    email,
    name,
    password_hash: await hashPassword(password),
    role: role as UserRole,
    client,
    created_at: isoNow(deps.clock),
    disabled_at: null,
  };
  try {
    await deps.db.kysely.insertInto('users').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw authErrors.userExists(email);
    throw error;
  }
  await writeAudit(deps.db, deps.clock, {
    actor: by.actor,
    action: 'user.created',
    target: `user:${row.id}`,
    detail: { email, role, client },
    ip: by.ip,
  });
  return { user: toUser(row), password, generated };
}

export async function getUser(deps: AuthDeps, id: string): Promise<User> {
  const row = await deps.db.kysely.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw authErrors.userNotFound(id);
  return toUser(row);
}

export async function listUsers(deps: AuthDeps): Promise<User[]> {
  const rows = await deps.db.kysely.selectFrom('users').selectAll().orderBy('email').execute();
  return rows.map(toUser);
}

/**
 * Changes role, client, name, password or the disabled flag. Disabling or a new password ends
 * the user's sessions; the last enabled admin can be neither demoted nor disabled.
 */
export async function updateUser(deps: AuthDeps, id: string, patch: UserPatch, by: By): Promise<User> {
  const { db, clock } = deps;
  const current = await db.kysely.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  if (!current) throw authErrors.userNotFound(id);
  const nextRole = patch.role ?? current.role;
  const nextClient =
    patch.client !== undefined ? patch.client : nextRole === 'client' ? current.client : null;
  const { role, client } = checkRoleAndClient(nextRole, nextClient, userRoles);
  const changes: Partial<UsersTable> = { role: role as UserRole, client };
  const changed: string[] = [];
  if (role !== current.role) changed.push('role');
  if (client !== current.client) changed.push('client');
  if (patch.name !== undefined) {
    changes.name = normalizeName(patch.name);
    if (changes.name !== current.name) changed.push('name');
  }
  if (patch.password !== undefined) {
    checkPassword(patch.password);
    changes.password_hash = await hashPassword(patch.password);
    changed.push('password');
  }
  if (patch.disabled !== undefined && patch.disabled !== (current.disabled_at !== null)) {
    changes.disabled_at = patch.disabled ? isoNow(clock) : null;
    changed.push(patch.disabled ? 'disabled' : 'enabled');
  }
  const staysEnabledAdmin = role === 'admin' && (changes.disabled_at ?? current.disabled_at) === null;
  const isEnabledAdmin = current.role === 'admin' && current.disabled_at === null;
  if (isEnabledAdmin && !staysEnabledAdmin) await assertAnotherAdmin(deps, id);

  const updated = await db.kysely.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('users')
      .set(changes)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (changes.password_hash !== undefined || changes.disabled_at) {
      await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
    }
    return row;
  });
  if (changed.length > 0) {
    await writeAudit(db, clock, {
      actor: by.actor,
      action: 'user.updated',
      target: `user:${id}`,
      detail: { changed, role, client },
      ip: by.ip,
    });
  }
  return toUser(updated);
}

/**
 * A signed-in user changes their own password: the current one must be right. Their other
 * sessions end; the one they changed it from (`keepSession`, its token) stays.
 *
 * @example
 * await changeOwnPassword(deps, userId, { current, password }, { actor: `user:${userId}`, ip, keepSession: token });
 */
export async function changeOwnPassword(
  deps: AuthDeps,
  id: string,
  input: { current: string; password: string },
  by: By & { keepSession?: string | undefined },
): Promise<void> {
  const { db, clock } = deps;
  const row = await db.kysely
    .selectFrom('users')
    .select(['password_hash', 'disabled_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row || row.disabled_at !== null) throw authErrors.userNotFound(id);
  if (!(await verifyPassword(row.password_hash, input.current))) throw authErrors.passwordWrong();
  checkPassword(input.password);
  if (input.password === input.current) throw authErrors.passwordUnchanged();
  const hash = await hashPassword(input.password);
  await db.kysely.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: hash }).where('id', '=', id).execute();
    await trx
      .deleteFrom('sessions')
      .where('user_id', '=', id)
      .$if(by.keepSession !== undefined, (q) => q.where('id', '!=', sha256(by.keepSession!)))
      .execute();
  });
  await writeAudit(db, clock, {
    actor: by.actor,
    action: 'user.password_changed',
    target: `user:${id}`,
    ip: by.ip ?? null,
  });
}

async function assertAnotherAdmin(deps: AuthDeps, exceptId: string): Promise<void> {
  const other = await deps.db.kysely
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .where('id', '!=', exceptId)
    .executeTakeFirst();
  if (!other) throw authErrors.lastAdmin();
}

/**
 * First start: when no user exists, creates `admin@localhost` (admin) with the given password or
 * a generated one. Returns null when users already exist (or another process won the race).
 */
export async function ensureAdmin(
  deps: AuthDeps,
  password?: string,
): Promise<{ email: string; password: string; generated: boolean } | null> {
  const any = await deps.db.kysely.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (any) return null;
  try {
    const created = await createUser(
      deps,
      { email: 'admin@localhost', name: 'Administrator', role: 'admin', ...(password ? { password } : {}) },
      { actor: 'system' },
    );
    return { email: created.user.email, password: created.password, generated: created.generated };
  } catch (error) {
    if (isEnqueteError(error) && error.code === 'USER_EXISTS') return null;
    throw error;
  }
}
