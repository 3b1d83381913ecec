import { authErrors } from './errors.ts';
import type { Role } from './types.ts';

/** Lower-cased and trimmed; `admin@localhost` is valid, so no dot is required after the `@`. */
export function normalizeEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (e.length > 320 || !/^[^\s@]+@[^\s@]+$/.test(e)) throw authErrors.emailInvalid(email);
  return e;
}

/** An optional display name: trimmed, empty means none. */
export function normalizeName(name: string | null | undefined): string | null {
  const n = name?.trim() ?? '';
  if (n.length > 200) throw authErrors.nameInvalid();
  return n === '' ? null : n;
}

/**
 * Checks a role against the allowed ones and that exactly role `client` carries a client name.
 * Returns the trimmed client (or null).
 */
export function checkRoleAndClient(
  role: string,
  client: string | null | undefined,
  allowed: readonly Role[],
): { role: Role; client: string | null } {
  const known = allowed.find((r) => r === role);
  if (!known) throw authErrors.roleInvalid(role, allowed);
  const c = client === null || client === undefined ? null : client.trim();
  if (c !== null && (c.length === 0 || c.length > 200)) throw authErrors.clientInvalid();
  if (known === 'client' && c === null) throw authErrors.clientRequired();
  if (known !== 'client' && c !== null) throw authErrors.clientNotAllowed(known);
  return { role: known, client: c };
}
