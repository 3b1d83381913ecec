import type { Db } from '../db/index.ts';
import type { Clock } from '../kernel/index.ts';
import type { PanelService } from '../panel/index.ts';
import type { SurveyService } from '../surveys/index.ts';
import { recordEvents } from './invitation-writes.ts';
import { buildMessages, waveMessageContext } from './message-builder.ts';
import { queueMessages } from './outbox-writes.ts';
import { quotaReminderFilter } from './quota-reminders.ts';
import { remindableStatuses } from './schedule.ts';
import type { ReminderReport } from './types.ts';
import { reminderOffsets, type WaveRow } from './wave-queries.ts';

export interface ReminderDeps {
  db: Db;
  clock: Clock;
  surveys: SurveyService;
  panel: PanelService;
  publicUrl: string;
}

/** Another process moved the wave's reminder cursor first: this batch is theirs. */
class CursorMoved extends Error {}

/**
 * Sends the reminders that are due: for each e-mail wave whose first messages are queued, the
 * next reminder round once `start + offset` has come, before the deadline and while the survey is
 * open. A round walks the wave's invitations in id order, a batch at a time. Messages are rendered
 * ahead for the members who look remindable; then ONE transaction moves the wave's cursor, marks the
 * reminder only on invitations whose status is still remindable (reached by a message and not
 * finished: `sent`, `opened`, `started`, never `invited` or `send_failed`, see
 * remindableStatuses) and whose member has not opted out
 * (a guarded update: whoever completed, screened out, hit a full quota or opted out a moment
 * before is left out, and so is whoever can only fall in a full quota cell, see
 * quota-reminders.ts), records `reminded` for exactly those, and queues exactly their messages.
 *
 * Running it from two places at once (the `reminders` batch job and a hand-run
 * `enquete reminders run`, or two scheduler replicas) sends no reminder twice: the cursor update
 * is a compare-and-set on (reminders_done, reminder_cursor) as this caller read them, and
 * reminders_done only grows, so of two callers holding the same batch exactly one moves the
 * cursor (PostgreSQL re-checks the WHERE after the first commits; SQLite runs writers one at a
 * time); the other finds 0 rows moved and stops. The skip after a pause is the same kind of
 * compare-and-set.
 */
export async function runReminders(deps: ReminderDeps, batchSize = 500): Promise<ReminderReport> {
  const k = deps.db.kysely;
  const now = deps.clock.now().toISOString();
  const report: ReminderReport = { reminded: {} };
  const waves = await k
    .selectFrom('waves')
    .selectAll()
    .where('status', '=', 'ready')
    .where('channel', '=', 'email')
    .where('dispatched_at', 'is not', null)
    .where('reminders', '<>', '[]')
    .execute();
  const notOptedOut = await deps.panel.segmentCondition('all');
  for (const wave of waves) {
    const offsets = reminderOffsets(wave);
    const dueAt = (r: number) => new Date(Date.parse(wave.start_at) + offsets[r]!).toISOString();
    let round = Number(wave.reminders_done);
    if (round >= offsets.length || dueAt(round) > now) continue;
    if (wave.deadline !== null && wave.deadline <= now) continue;
    const survey = await deps.surveys.get(wave.survey_id);
    if (survey.closed) continue;
    // After a pause (server down), send only the latest due round, not every missed one at once.
    let latest = round;
    while (latest + 1 < offsets.length && dueAt(latest + 1) <= now) latest++;
    if (latest > round && Number(wave.reminder_cursor) === 0) {
      const skipped = await k
        .updateTable('waves')
        .set({ reminders_done: latest })
        .where('id', '=', wave.id)
        .where('reminders_done', '=', round)
        .where('reminder_cursor', '=', 0)
        .executeTakeFirst();
      if (Number(skipped.numUpdatedRows) === 0) continue;
      round = latest;
    }
    report.reminded[wave.id] = await remindRound(
      deps,
      { ...wave, reminders_done: round },
      round,
      now,
      batchSize,
      notOptedOut,
    );
  }
  return report;
}

async function remindRound(
  deps: ReminderDeps,
  wave: WaveRow,
  round: number,
  now: string,
  batchSize: number,
  notOptedOut: Awaited<ReturnType<PanelService['segmentCondition']>>,
): Promise<number> {
  const k = deps.db.kysely;
  const context = await waveMessageContext(deps.surveys, wave);
  // Members who can only end quota_full are left out, decided in the transaction below.
  const quotaOpen = await quotaReminderFilter(deps, wave.survey_id);
  // Only members the first message reached (sent, opened, started): not `invited` (still queued)
  // nor `send_failed`. Checked on the rows read and decided again in the guarded update below.
  const remindable = [...remindableStatuses];
  let cursor = Number(wave.reminder_cursor);
  let reminded = 0;
  for (;;) {
    const rows = await k
      .selectFrom('invitations')
      .select(['id', 'member_id', 'token', 'status'])
      .where('wave_id', '=', wave.id)
      .where('id', '>', cursor)
      .orderBy('id')
      .limit(batchSize)
      .execute();
    const last = rows.length > 0 ? Number(rows[rows.length - 1]!.id) : cursor;
    const done = rows.length < batchSize;
    const candidates = rows.filter((r) => (remindable as string[]).includes(r.status));
    const built = await buildMessages(
      deps,
      context,
      candidates.map((r) => ({ invitationId: Number(r.id), memberId: r.member_id, token: r.token })),
    );
    const byInvitation = new Map(built.messages.map((m) => [m.invitationId, m]));
    try {
      reminded += await k.transaction().execute(async (trx) => {
        const moved = await trx
          .updateTable('waves')
          .set(done ? { reminders_done: round + 1, reminder_cursor: 0 } : { reminder_cursor: last })
          .where('id', '=', wave.id)
          .where('reminders_done', '=', round)
          .where('reminder_cursor', '=', cursor)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) === 0) throw new CursorMoved();
        if (byInvitation.size === 0) return 0;
        // The decision: only rows reached and still pending, of members still in, right now.
        const marked = await trx
          .updateTable('invitations')
          .set((eb) => ({ reminders_sent: eb('reminders_sent', '+', 1), last_reminded_at: now }))
          .where('id', 'in', [...byInvitation.keys()])
          .where('status', 'in', remindable)
          .where((eb) =>
            eb.exists(
              eb
                .selectFrom('members')
                .select('members.id')
                .whereRef('members.id', '=', 'invitations.member_id')
                .where(notOptedOut),
            ),
          )
          .where(quotaOpen)
          .returning('id')
          .execute();
        const ids = marked.map((m) => Number(m.id));
        await recordEvents(
          trx,
          ids.map((id) => ({
            invitationId: id,
            type: 'reminded' as const,
            channel: 'email',
            at: now,
            detail: { round: round + 1 },
          })),
        );
        await queueMessages(trx, {
          waveId: wave.id,
          kind: 'reminder',
          messages: ids.map((id) => byInvitation.get(id)!),
          now,
          dueAt: now,
        });
        return ids.length;
      });
    } catch (error) {
      if (error instanceof CursorMoved) return reminded;
      throw error;
    }
    cursor = last;
    if (done) return reminded;
  }
}
