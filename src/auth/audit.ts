import type { Db } from '../db/index.ts';
import { type Clock, isoNow } from '../kernel/index.ts';
import type { AuditEntry } from './types.ts';

export interface AuditInput {
  actor: string;
  action: string;
  target?: string | null;
  detail?: Record<string, unknown> | null;
  ip?: string | null;
}

/** Appends one entry to the audit log. Detail is stored as JSON; never put a secret in it. */
export async function writeAudit(db: Db, clock: Clock, entry: AuditInput): Promise<void> {
  await db.kysely
    .insertInto('audit_log')
    .values({
      at: isoNow(clock),
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? null,
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
      ip: entry.ip ?? null,
    })
    .execute();
}

/** The newest entries first; `limit` is clamped to 1..1000. */
export async function readAudit(db: Db, limit = 100): Promise<AuditEntry[]> {
  const n = Math.max(1, Math.min(1000, Math.trunc(Number.isFinite(limit) ? limit : 100)));
  const rows = await db.kysely.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(n).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
    ip: r.ip,
  }));
}
