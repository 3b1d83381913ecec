import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { recordEvents } from './invitation-writes.ts';
import type { BuiltMessage } from './message-builder.ts';
import { heldReason } from './quota-holds.ts';

/**
 * Queues rendered messages in the outbox, due at `dueAt`; with `held`, keeps them `held` for
 * quota instead (not due until a limit change releases them, see quota-holds.ts).
 */
export async function queueMessages(
  trx: Kysely<Database>,
  input: {
    waveId: string;
    kind: 'invitation' | 'reminder';
    messages: BuiltMessage[];
    now: string;
    dueAt: string;
    held?: boolean;
  },
): Promise<void> {
  const { waveId, kind, messages, now, dueAt } = input;
  const status = input.held ? ('held' as const) : ('queued' as const);
  for (let i = 0; i < messages.length; i += 200) {
    await trx
      .insertInto('distribution_outbox')
      .values(
        messages.slice(i, i + 200).map((m) => ({
          invitation_id: m.invitationId,
          wave_id: waveId,
          kind,
          to_address: m.to,
          subject: m.subject,
          text_body: m.text,
          html_body: m.html,
          headers: JSON.stringify(m.headers),
          status,
          attempts: 0,
          next_attempt_at: dueAt,
          last_error: input.held ? heldReason : null,
          message_id: null,
          created_at: now,
          sent_at: null,
        })),
      )
      .execute();
  }
}

/**
 * Records invitations that could not get a message at all (no address, template failing for
 * this member): `send_failed`, as a permanent SMTP refusal would.
 */
export async function recordUnsendable(
  trx: Kysely<Database>,
  failures: { invitationId: number; reason: string }[],
  kind: 'invitation' | 'reminder',
  at: string,
): Promise<void> {
  if (failures.length === 0) return;
  const ids = failures.map((f) => f.invitationId);
  for (let i = 0; i < ids.length; i += 500) {
    await trx
      .updateTable('invitations')
      .set({ status: 'send_failed' })
      .where('id', 'in', ids.slice(i, i + 500))
      .where('status', '=', 'invited')
      .execute();
  }
  await recordEvents(
    trx,
    failures.map((f) => ({
      invitationId: f.invitationId,
      type: 'send_failed' as const,
      channel: 'email',
      at,
      detail: { kind, error: f.reason },
    })),
  );
}
