import type { Kysely, Selectable } from 'kysely';
import type { Database, DistributionOutboxTable } from '../db/index.ts';
import { distributionErrors } from './errors.ts';
import type { OutboxMessage, OutboxQuery } from './types.ts';

const statuses = ['queued', 'sending', 'sent', 'failed', 'cancelled', 'held'] as const;

function toMessage(row: Selectable<DistributionOutboxTable>): OutboxMessage {
  return {
    id: Number(row.id),
    waveId: row.wave_id,
    invitationId: Number(row.invitation_id),
    kind: row.kind,
    to: row.to_address,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    headers: JSON.parse(row.headers) as Record<string, string>,
    status: row.status,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    messageId: row.message_id,
    createdAt: row.created_at,
    sentAt: row.sent_at,
  };
}

/** One page of the outbox, newest first; `next` is the `before` of the following page. */
export async function listOutbox(
  db: Kysely<Database>,
  query: OutboxQuery,
): Promise<{ messages: OutboxMessage[]; next: number | null }> {
  const limit = query.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw distributionErrors.outboxQueryInvalid('limit must be a whole number from 1 to 500');
  }
  if (query.status !== undefined && !(statuses as readonly string[]).includes(query.status)) {
    throw distributionErrors.outboxQueryInvalid(`status is one of ${statuses.join(', ')}`);
  }
  let q = db.selectFrom('distribution_outbox').selectAll();
  if (query.waveId !== undefined) q = q.where('wave_id', '=', query.waveId);
  if (query.status !== undefined) q = q.where('status', '=', query.status);
  if (query.before !== undefined) q = q.where('id', '<', query.before);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit).map(toMessage);
  return { messages: page, next: rows.length > limit ? page[page.length - 1]!.id : null };
}

/** Outbox messages by status, for the whole outbox or one wave. */
export async function outboxCounts(db: Kysely<Database>, waveId?: string): Promise<Record<string, number>> {
  let q = db
    .selectFrom('distribution_outbox')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status');
  if (waveId !== undefined) q = q.where('wave_id', '=', waveId);
  const out: Record<string, number> = Object.fromEntries(statuses.map((s) => [s, 0]));
  for (const r of await q.execute()) out[r.status] = Number(r.n);
  return out;
}
