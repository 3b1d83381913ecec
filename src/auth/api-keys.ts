import type { Selectable } from 'kysely';
import type { ApiKeysTable } from '../db/index.ts';
import { isoNow } from '../kernel/index.ts';
import { writeAudit } from './audit.ts';
import type { AuthDeps } from './deps.ts';
import { authErrors } from './errors.ts';
import { checkRoleAndClient } from './rules.ts';
import { apiKeyMark, apiKeyPrefixLength, maxSecretLength, sha256 } from './secrets.ts';
import { type ApiKeyInfo, apiKeyRoles, type Principal } from './types.ts';

export interface NewApiKey {
  name: string;
  role: string;
  client?: string | null;
  /** Who creates it: `actorOf(principal)` or `cli`. */
  actor: string;
  ip?: string | null;
}

/** `last_used_at` is written at most once a minute per key, not on every request. */
const lastUsedResolutionMs = 60_000;

function toInfo(row: Selectable<ApiKeysTable>): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    client: row.client,
    createdAt: row.created_at,
    createdBy: row.created_by,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** Creates a key; the returned `key` is the only time it is visible. */
export async function createApiKey(
  deps: AuthDeps,
  input: NewApiKey,
): Promise<{ apiKey: ApiKeyInfo; key: string }> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 100) throw authErrors.apiKeyNameInvalid();
  const { role, client } = checkRoleAndClient(input.role, input.client, apiKeyRoles);
  const key = apiKeyMark + deps.ids.token();
  const row = {
    id: deps.ids.id('ak'),
    name,
    key_hash: sha256(key),
    prefix: key.slice(0, apiKeyPrefixLength),
    role,
    client,
    created_at: isoNow(deps.clock),
    created_by: input.actor,
    revoked_at: null,
    last_used_at: null,
  };
  await deps.db.kysely.insertInto('api_keys').values(row).execute();
  await writeAudit(deps.db, deps.clock, {
    actor: input.actor,
    action: 'apikey.created',
    target: `apikey:${row.id}`,
    detail: { name, role, client, prefix: row.prefix },
    ip: input.ip,
  });
  return { apiKey: toInfo(row), key };
}

/** The principal of a key, or null when the key is unknown or revoked. */
export async function resolveApiKey(deps: AuthDeps, key: string): Promise<Principal | null> {
  if (!key.startsWith(apiKeyMark) || key.length > maxSecretLength) return null;
  const { db, clock } = deps;
  const row = await db.kysely
    .selectFrom('api_keys')
    .selectAll()
    .where('key_hash', '=', sha256(key))
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return null;
  const now = clock.now();
  if (row.last_used_at === null || now.getTime() - Date.parse(row.last_used_at) >= lastUsedResolutionMs) {
    await db.kysely
      .updateTable('api_keys')
      .set({ last_used_at: now.toISOString() })
      .where('id', '=', row.id)
      .execute();
  }
  return { kind: 'apikey', id: row.id, label: row.name, role: row.role, client: row.client };
}

/** Every key, revoked ones included, newest first. */
export async function listApiKeys(deps: AuthDeps): Promise<ApiKeyInfo[]> {
  const rows = await deps.db.kysely
    .selectFrom('api_keys')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toInfo);
}

/** Revokes a key at once; revoking a revoked key keeps its first revocation time. */
export async function revokeApiKey(
  deps: AuthDeps,
  id: string,
  by: { actor: string; ip?: string | null },
): Promise<ApiKeyInfo> {
  const { db, clock } = deps;
  const row = await db.kysely.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw authErrors.apiKeyNotFound(id);
  if (row.revoked_at !== null) return toInfo(row);
  const revokedAt = isoNow(clock);
  await db.kysely
    .updateTable('api_keys')
    .set({ revoked_at: revokedAt })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
  await writeAudit(db, clock, {
    actor: by.actor,
    action: 'apikey.revoked',
    target: `apikey:${id}`,
    detail: { name: row.name, prefix: row.prefix },
    ip: by.ip,
  });
  return toInfo({ ...row, revoked_at: revokedAt });
}
