/** Roles, most powerful first. `portal` exists only for API keys used by the member site. */
export type Role = 'admin' | 'researcher' | 'client' | 'portal';

/** Roles a console user can have (`portal` is for API keys only). */
export type UserRole = Exclude<Role, 'portal'>;

export const userRoles: readonly UserRole[] = ['admin', 'researcher', 'client'];
export const apiKeyRoles: readonly Role[] = ['admin', 'researcher', 'client', 'portal'];

/** Who is calling: a console user (session cookie) or a script (API key). */
export interface Principal {
  kind: 'user' | 'apikey';
  id: string;
  /** The user's e-mail or the key's name, for display and the audit log. */
  label: string;
  role: Role;
  /** For role `client`: the client whose surveys this principal may see. */
  client: string | null;
}

/** Actor string for the audit log and `created_by` columns, e.g. `user:us_…`. */
export function actorOf(principal: Principal | null | undefined): string {
  return principal ? `${principal.kind}:${principal.id}` : 'system';
}

/** A console account as other code sees it: never with its password hash. */
export interface User {
  id: string;
  email: string;
  name: string | null;
  role: UserRole;
  client: string | null;
  createdAt: string;
  disabled: boolean;
  disabledAt: string | null;
}

/** An API key as lists show it: never with the key or its hash. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  /** The first characters of the key (`enq_` and four more), to tell keys apart. */
  prefix: string;
  role: Role;
  client: string | null;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  /** `user:<id>`, `apikey:<id>`, `cli`, `system` or `anonymous` (failed logins). */
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
  ip: string | null;
}

/** Who does a change, for the audit log: `actorOf(principal)` or `cli`, and the caller's address. */
export interface By {
  actor: string;
  ip?: string | null;
}
