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

/**
 * Resolved keys remembered by the process, by hash, so that a portal asking many times a second
 * costs a hash and a map lookup instead of a query. An entry is trusted for the TTL: a revocation
 * made in this process forgets the key at once; one made by another process (the CLI, another web
 * replica) takes effect within the TTL. Unknown and revoked keys are not remembered.
 */
export interface ApiKeyCache {
  get(hash: string, nowMs: number): ApiKeyCacheEntry | undefined;
  /** Remembers a key read from the database at `nowMs` (unless it was forgotten since). */
  set(hash: string, entry: { principal: Principal; lastUsedMs: number | null }, nowMs: number): void;
  /** Forgets the key with this id (on revocation), also for a resolution still under way. */
  forget(id: string, nowMs: number): void;
}

export interface ApiKeyCacheEntry {
  principal: Principal;
  /** `last_used_at` as this process last wrote or read it. */
  lastUsedMs: number | null;
}

/** How long a resolved key is trusted without the database. */
export const apiKeyCacheTtlMs = 5_000;

/** A bounded cache of resolved keys (the oldest entries go first past `capacity`). */
export function apiKeyCache(props: { ttlMs?: number; capacity?: number } = {}): ApiKeyCache {
  const ttlMs = props.ttlMs ?? apiKeyCacheTtlMs;
  const capacity = props.capacity ?? 10_000;
  const entries = new Map<string, ApiKeyCacheEntry & { untilMs: number }>();
  // Ids revoked here, until a resolution that read the row before the revocation can no longer
  // be trusted anyway: such a resolution must not put the key back.
  const forgotten = new Map<string, number>();
  return {
    get(hash, nowMs) {
      const entry = entries.get(hash);
      if (entry && nowMs < entry.untilMs) return entry;
      if (entry) entries.delete(hash);
      return undefined;
    },
    set(hash, entry, nowMs) {
      const until = forgotten.get(entry.principal.id);
      if (until !== undefined) {
        if (nowMs < until) return;
        forgotten.delete(entry.principal.id);
      }
      entries.delete(hash);
      if (entries.size >= capacity) entries.delete(entries.keys().next().value!);
      entries.set(hash, { ...entry, untilMs: nowMs + ttlMs });
    },
    forget(id, nowMs) {
      for (const [hash, entry] of entries) if (entry.principal.id === id) entries.delete(hash);
      forgotten.set(id, nowMs + ttlMs);
    },
  };
}

/**
 * The principal of a key, or null when the key is unknown or revoked. With a cache, a key resolved
 * within its TTL is answered from memory at once, with no promise (a portal asks on every page
 * view); `last_used_at` is still written once a minute per key, and that answer waits for it.
 */
export function resolveApiKey(
  deps: AuthDeps,
  key: string,
  cache?: ApiKeyCache,
): Principal | null | Promise<Principal | null> {
  if (!key.startsWith(apiKeyMark) || key.length > maxSecretLength) return null;
  const hash = sha256(key);
  const nowMs = deps.clock.now().getTime();
  const cached = cache?.get(hash, nowMs);
  if (!cached) return readApiKey(deps, hash, nowMs, cache);
  if (cached.lastUsedMs !== null && nowMs - cached.lastUsedMs < lastUsedResolutionMs) return cached.principal;
  return touchApiKey(deps, cached.principal.id, nowMs).then(() => {
    cached.lastUsedMs = nowMs;
    return cached.principal;
  });
}

async function readApiKey(
  deps: AuthDeps,
  hash: string,
  nowMs: number,
  cache: ApiKeyCache | undefined,
): Promise<Principal | null> {
  const row = await deps.db.kysely
    .selectFrom('api_keys')
    .selectAll()
    .where('key_hash', '=', hash)
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return null;
  let lastUsedMs = row.last_used_at === null ? null : Date.parse(row.last_used_at);
  if (lastUsedMs === null || nowMs - lastUsedMs >= lastUsedResolutionMs) {
    await touchApiKey(deps, row.id, nowMs);
    lastUsedMs = nowMs;
  }
  const principal: Principal = {
    kind: 'apikey',
    id: row.id,
    label: row.name,
    role: row.role,
    client: row.client,
  };
  cache?.set(hash, { principal, lastUsedMs }, nowMs);
  return principal;
}

async function touchApiKey(deps: AuthDeps, id: string, nowMs: number): Promise<void> {
  await deps.db.kysely
    .updateTable('api_keys')
    .set({ last_used_at: new Date(nowMs).toISOString() })
    .where('id', '=', id)
    .execute();
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
  cache?: ApiKeyCache,
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
  cache?.forget(id, clock.now().getTime());
  await writeAudit(db, clock, {
    actor: by.actor,
    action: 'apikey.revoked',
    target: `apikey:${id}`,
    detail: { name: row.name, prefix: row.prefix },
    ip: by.ip,
  });
  return toInfo({ ...row, revoked_at: revokedAt });
}
