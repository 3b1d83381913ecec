/** Roles, most powerful first. `portal` exists only for API keys used by the member site. */
export type Role = 'admin' | 'researcher' | 'client' | 'portal';

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
