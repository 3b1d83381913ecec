import type { Db } from '../db/index.ts';
import type { Clock } from '../kernel/index.ts';
import type { PanelService } from '../panel/index.ts';
import type { SurveyService } from '../surveys/index.ts';
import { buildMessages, waveMessageContext } from './message-builder.ts';
import { queueMessages, recordUnsendable } from './outbox-writes.ts';
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
 * out meanwhile get no message. Resolves with the number of messages queued.
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
  for (const wave of waves) {
    const context = await waveMessageContext(deps.surveys, wave);
    let cursor = Number(wave.dispatch_cursor);
    while (queued < limit) {
      const rows = await k
        .selectFrom('invitations')
        .select(['id', 'member_id', 'token', 'status'])
        .where('wave_id', '=', wave.id)
        .where('id', '>', cursor)
        .orderBy('id')
        .limit(Math.min(batchSize, limit - queued))
        .execute();
      const last = rows.length > 0 ? Number(rows[rows.length - 1]!.id) : cursor;
      const pending = rows.filter((r) => (pendingStatuses as string[]).includes(r.status));
      const built = await buildMessages(
        deps,
        context,
        pending.map((r) => ({ invitationId: Number(r.id), memberId: r.member_id, token: r.token })),
      );
      const done = rows.length < Math.min(batchSize, limit - queued);
      try {
        await k.transaction().execute(async (trx) => {
          const moved = await trx
            .updateTable('waves')
            .set({ dispatch_cursor: last, ...(done ? { dispatched_at: now } : {}) })
            .where('id', '=', wave.id)
            .where('dispatch_cursor', '=', cursor)
            .executeTakeFirst();
          if (Number(moved.numUpdatedRows) === 0) throw new CursorMoved();
          await queueMessages(trx, {
            waveId: wave.id,
            kind: 'invitation',
            messages: built.messages,
            now,
            dueAt: now,
          });
          await recordUnsendable(trx, built.failures, 'invitation', now);
        });
      } catch (error) {
        if (error instanceof CursorMoved) break;
        throw error;
      }
      queued += built.messages.length;
      cursor = last;
      if (done) break;
    }
    if (queued >= limit) break;
  }
  return queued;
}
