import type { Db } from '../db/index.ts';
import type { Clock } from '../kernel/index.ts';
import type { PanelService } from '../panel/index.ts';
import type { SurveyService } from '../surveys/index.ts';
import { buildMessages, waveMessageContext } from './message-builder.ts';
import { queueMessages, recordUnsendable } from './outbox-writes.ts';
import { heldForQuota } from './quota-holds.ts';
import { pendingStatuses } from './schedule.ts';

export interface DispatchDeps {
  db: Db;
  clock: Clock;
  surveys: SurveyService;
  panel: PanelService;
  publicUrl: string;
}

/** Another process moved the wave's cursor first: this batch is theirs. */
class CursorMoved extends Error {}

/**
 * Queues the first message of every invitation of e-mail waves whose start has come, at most
 * `limit` messages per call, in invitation order. Each batch is rendered first, then written in
 * one transaction that also moves the wave's cursor only if it is where this batch began, so two
 * processes never queue the same message. Members who finished (e.g. through the portal) or opted
 * out meanwhile get no message. Members who can only end quota_full now get theirs written `held`
 * (decided in that transaction, see quota-holds.ts): the cursor moves past them all the same, so
 * no pass reads them again; a limit change that makes room releases them to the sender. Resolves
 * with the number of messages queued (held ones not counted).
 */
export async function queueFirstMessages(deps: DispatchDeps, limit = 2000, batchSize = 500): Promise<number> {
  const k = deps.db.kysely;
  const now = deps.clock.now().toISOString();
  const waves = await k
    .selectFrom('waves')
    .selectAll()
    .where('status', '=', 'ready')
    .where('channel', '=', 'email')
    .where('dispatched_at', 'is', null)
    .where('start_at', '<=', now)
    .orderBy('start_at')
    .execute();
  let queued = 0;
  // Messages written this call, held ones too: what `limit` bounds.
  let written = 0;
  for (const wave of waves) {
    const context = await waveMessageContext(deps.surveys, wave);
    let cursor = Number(wave.dispatch_cursor);
    while (written < limit) {
      const size = Math.min(batchSize, limit - written);
      const rows = await k
        .selectFrom('invitations')
        .select(['id', 'member_id', 'token', 'status'])
        .where('wave_id', '=', wave.id)
        .where('id', '>', cursor)
        .orderBy('id')
        .limit(size)
        .execute();
      const last = rows.length > 0 ? Number(rows[rows.length - 1]!.id) : cursor;
      const pending = rows.filter((r) => (pendingStatuses as string[]).includes(r.status));
      const built = await buildMessages(
        deps,
        context,
        pending.map((r) => ({ invitationId: Number(r.id), memberId: r.member_id, token: r.token })),
      );
      const done = rows.length < size;
      try {
        const held = await k.transaction().execute(async (trx) => {
          const moved = await trx
            .updateTable('waves')
            .set({ dispatch_cursor: last, ...(done ? { dispatched_at: now } : {}) })
            .where('id', '=', wave.id)
            .where('dispatch_cursor', '=', cursor)
            .executeTakeFirst();
          if (Number(moved.numUpdatedRows) === 0) throw new CursorMoved();
          const onHold = await heldForQuota(
            trx,
            { dialect: deps.db.dialect, panel: deps.panel },
            wave.survey_id,
            built.messages.map((m) => m.invitationId),
          );
          const split = (held: boolean) => built.messages.filter((m) => onHold.has(m.invitationId) === held);
          for (const held of [false, true]) {
            await queueMessages(trx, {
              waveId: wave.id,
              kind: 'invitation',
              messages: split(held),
              now,
              dueAt: now,
              held,
            });
          }
          await recordUnsendable(trx, built.failures, 'invitation', now);
          return onHold.size;
        });
        queued += built.messages.length - held;
      } catch (error) {
        if (error instanceof CursorMoved) break;
        throw error;
      }
      written += built.messages.length;
      cursor = last;
      if (done) break;
    }
    if (written >= limit) break;
  }
  return queued;
}
