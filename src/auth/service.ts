import {
  apiKeyCache,
  createApiKey,
  listApiKeys,
  type NewApiKey,
  resolveApiKey,
  revokeApiKey,
} from './api-keys.ts';
import { type AuditInput, readAudit, writeAudit } from './audit.ts';
import type { AuthDeps } from './deps.ts';
import { type LoginResult, login, logout, resolveSession } from './sessions.ts';
import type { ApiKeyInfo, AuditEntry, By, Principal, User } from './types.ts';
import {
  type CreatedUser,
  changeOwnPassword,
  createUser,
  ensureAdmin,
  getUser,
  listUsers,
  type NewUser,
  type UserPatch,
  updateUser,
} from './users.ts';

/** Users, sessions, API keys and the audit log behind one object. */
export interface AuthService {
  createUser(input: NewUser, by: By): Promise<CreatedUser>;
  updateUser(id: string, patch: UserPatch, by: By): Promise<User>;
  /** The signed-in user's own password; throws PASSWORD_WRONG. Other sessions end, `keepSession` stays. */
  changeOwnPassword(
    id: string,
    input: { current: string; password: string },
    by: By & { keepSession?: string | undefined },
  ): Promise<void>;
  getUser(id: string): Promise<User>;
  listUsers(): Promise<User[]>;
  /** First start: creates `admin@localhost` when there is no user; null otherwise. */
  ensureAdmin(password?: string): Promise<{ email: string; password: string; generated: boolean } | null>;
  login(email: string, password: string, ip: string | null): Promise<LoginResult>;
  resolveSession(token: string): Promise<Principal | null>;
  logout(token: string, ip?: string | null): Promise<void>;
  createApiKey(input: NewApiKey): Promise<{ apiKey: ApiKeyInfo; key: string }>;
  /**
   * The principal of an `enq_` key, or null. Resolved keys are trusted for 5 s (revocations made
   * elsewhere take effect within that; made here, at once), and answered then with no promise.
   */
  resolveApiKey(key: string): Principal | null | Promise<Principal | null>;
  listApiKeys(): Promise<ApiKeyInfo[]>;
  revokeApiKey(id: string, by: By): Promise<ApiKeyInfo>;
  audit(entry: AuditInput): Promise<void>;
  listAudit(limit?: number): Promise<AuditEntry[]>;
}

/**
 * The auth module's door: wire it once per entry point with the database, clock and ids.
 *
 * @example
 * const auth = createAuthService({ db: ctx.db, clock: ctx.clock, ids: ctx.ids });
 * const { token } = await auth.login('admin@localhost', password, '127.0.0.1');
 * const principal = await auth.resolveSession(token); // { kind: 'user', role: 'admin', … }
 */
export function createAuthService(deps: AuthDeps): AuthService {
  // Resolved API keys, trusted for a few seconds: see ApiKeyCache.
  const keys = apiKeyCache();
  return {
    createUser: (input, by) => createUser(deps, input, by),
    updateUser: (id, patch, by) => updateUser(deps, id, patch, by),
    changeOwnPassword: (id, input, by) => changeOwnPassword(deps, id, input, by),
    getUser: (id) => getUser(deps, id),
    listUsers: () => listUsers(deps),
    ensureAdmin: (password) => ensureAdmin(deps, password),
    login: (email, password, ip) => login(deps, email, password, ip),
    resolveSession: (token) => resolveSession(deps, token),
    logout: (token, ip) => logout(deps, token, ip ?? null),
    createApiKey: (input) => createApiKey(deps, input),
    resolveApiKey: (key) => resolveApiKey(deps, key, keys),
    listApiKeys: () => listApiKeys(deps),
    revokeApiKey: (id, by) => revokeApiKey(deps, id, by, keys),
    audit: (entry) => writeAudit(deps.db, deps.clock, entry),
    listAudit: (limit) => readAudit(deps.db, limit),
  };
}
