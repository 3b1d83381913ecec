import type { Selectable } from 'kysely';
import type { Db, DistributionOutboxTable } from '../db/index.ts';
import type { Clock } from '../kernel/index.ts';
import type { PanelService } from '../panel/index.ts';
import type { Mailer, SendOutcome } from './email/index.ts';
import { type EventRow, recordEvents } from './invitation-writes.ts';
import { heldForQuota, heldReason } from './quota-holds.ts';
import { pendingStatuses } from './schedule.ts';
import type { SendReport } from './types.ts';

type OutboxRow = Selectable<DistributionOutboxTable>;

export interface SenderDeps {
  db: Db;
  clock: Clock;
  mailer: Mailer;
  /** Reads the member conditions of quota cells (first messages wait while a member can only end quota_full). */
  panel: PanelService;
  /** Attempts before a temporarily failing message is given up (default 6). */
  maxAttempts?: number;
  /** How long a claimed message is held before another sender may take it over (default 10 min). */
  leaseMs?: number;
}

/** Waits after the n-th failed attempt: 1 min, 5 min, 30 min, 2 h, 6 h. */
const backoffMs = [60_000, 300_000, 1_800_000, 7_200_000, 21_600_000];

export function retryDelay(attempt: number): number {
  return backoffMs[Math.min(attempt, backoffMs.length) - 1] ?? backoffMs[0]!;
}

/** What the sender reads of a claimed message's invitation, right before sending. */
interface SendState {
  status: string;
  optedOut: boolean;
  surveyId: string;
  deadline: string | null;
  surveyClosed: boolean;
}

/**
 * Why a claimed message is not sent, or null to send it. Checked at send time, not queue time: a
 * message retried for hours (the SMTP server refusing for a while) may outlive its wave's deadline.
 */
function cancelReason(state: SendState | undefined, nowIso: string): string | null {
  if (!state) return 'the invitation no longer exists';
  if (state.optedOut) return 'the member opted out';
  // A member who opened the survey through the portal may still get the e-mail; one who finished not.
  if (!(pendingStatuses as string[]).includes(state.status)) return 'the member answered meanwhile';
  if (state.surveyClosed) return 'the survey is closed';
  if (state.deadline !== null && state.deadline <= nowIso) return "the wave's deadline has passed";
  return null;
}

/**
 * Sends the outbox messages that are due, at most `limit`, through the mailer (its pool and rate
 * decide the pace). Messages are claimed first (`sending`, with a lease), so several senders never
 * send one message twice while both live; a sender that dies leaves its messages to be taken over
 * when the lease ends. Opt-outs and answers are checked again right before sending. A temporary
 * failure is retried with backoff up to `maxAttempts`; a permanent one (or the last attempt) marks
 * the message failed and records `send_failed`.
 */
export async function sendDue(deps: SenderDeps, limit = 200): Promise<SendReport> {
  const k = deps.db.kysely;
  const now = deps.clock.now();
  const nowIso = now.toISOString();
  const report: SendReport = { sent: 0, retried: 0, failed: 0, cancelled: 0, held: 0 };
  const due = await k
    .selectFrom('distribution_outbox')
    .select('id')
    .where('status', 'in', ['queued', 'sending'])
    .where('next_attempt_at', '<=', nowIso)
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  if (due.length === 0) return report;
  const claimed = await k
    .updateTable('distribution_outbox')
    .set((eb) => ({
      status: 'sending',
      attempts: eb('attempts', '+', 1),
      next_attempt_at: new Date(now.getTime() + (deps.leaseMs ?? 600_000)).toISOString(),
    }))
    .where(
      'id',
      'in',
      due.map((d) => d.id),
    )
    .where('status', 'in', ['queued', 'sending'])
    .where('next_attempt_at', '<=', nowIso)
    .returningAll()
    .execute();
  if (claimed.length === 0) return report;

  const states = new Map<number, SendState>();
  const stateRows = await k
    .selectFrom('invitations')
    .innerJoin('members', 'members.id', 'invitations.member_id')
    .innerJoin('waves', 'waves.id', 'invitations.wave_id')
    .innerJoin('surveys', 'surveys.id', 'invitations.survey_id')
    .select([
      'invitations.id',
      'invitations.status',
      'invitations.survey_id',
      'members.opted_out_at',
      'waves.deadline',
      'surveys.closed',
    ])
    .where(
      'invitations.id',
      'in',
      claimed.map((c) => c.invitation_id),
    )
    .execute();
  for (const r of stateRows)
    states.set(Number(r.id), {
      status: r.status,
      optedOut: r.opted_out_at !== null,
      surveyId: r.survey_id,
      deadline: r.deadline,
      surveyClosed: Number(r.closed) === 1,
    });

  const held = await holdFirstMessages(deps, claimed, states, nowIso);
  report.held = held.size;
  const outcomes = await Promise.all(
    claimed
      .filter((row) => !held.has(Number(row.id)))
      .map(
        async (
          row,
        ): Promise<{ row: OutboxRow; outcome: SendOutcome | { status: 'cancelled'; error: string } }> => {
          const reason = cancelReason(states.get(Number(row.invitation_id)), nowIso);
          if (reason) return { row, outcome: { status: 'cancelled', error: reason } };
          const outcome = await deps.mailer.send({
            to: row.to_address,
            subject: row.subject,
            text: row.text_body,
            html: row.html_body,
            headers: JSON.parse(row.headers) as Record<string, string>,
          });
          return { row, outcome };
        },
      ),
  );

  const doneAt = deps.clock.now().toISOString();
  await k.transaction().execute(async (trx) => {
    const events: EventRow[] = [];
    for (const { row, outcome } of outcomes) {
      const id = Number(row.id);
      const invitationId = Number(row.invitation_id);
      const detail = { kind: row.kind, outbox: id };
      if (outcome.status === 'sent') {
        report.sent++;
        await trx
          .updateTable('distribution_outbox')
          .set({ status: 'sent', sent_at: doneAt, message_id: outcome.messageId, last_error: null })
          .where('id', '=', id)
          .execute();
        await trx
          .updateTable('invitations')
          .set({ status: 'sent', sent_at: doneAt })
          .where('id', '=', invitationId)
          .where('status', 'in', ['invited', 'send_failed'])
          .execute();
        events.push({ invitationId, type: 'sent', channel: 'email', at: doneAt, detail });
        continue;
      }
      if (outcome.status === 'cancelled') {
        report.cancelled++;
        await trx
          .updateTable('distribution_outbox')
          .set({ status: 'cancelled', last_error: outcome.error })
          .where('id', '=', id)
          .execute();
        continue;
      }
      const error = outcome.error.slice(0, 1000);
      const attempts = Number(row.attempts);
      if (outcome.status === 'temporary' && attempts < (deps.maxAttempts ?? 6)) {
        report.retried++;
        await trx
          .updateTable('distribution_outbox')
          .set({
            status: 'queued',
            last_error: error,
            next_attempt_at: new Date(Date.parse(doneAt) + retryDelay(attempts)).toISOString(),
          })
          .where('id', '=', id)
          .execute();
        continue;
      }
      report.failed++;
      await trx
        .updateTable('distribution_outbox')
        .set({ status: 'failed', last_error: error })
        .where('id', '=', id)
        .execute();
      await trx
        .updateTable('invitations')
        .set({ status: 'send_failed' })
        .where('id', '=', invitationId)
        .where('status', '=', 'invited')
        .execute();
      events.push({
        invitationId,
        type: 'send_failed',
        channel: 'email',
        at: doneAt,
        detail: { ...detail, error },
      });
    }
    await recordEvents(trx, events);
  });
  return report;
}

/**
 * Holds the claimed first messages whose members can only end quota_full now: back to `held` (not
 * an attempt), not due again until a limit change releases them (quota-holds.ts). Reminders are
 * decided by their round and are not held here; cancelled messages are cancelled, not held.
 * Resolves with the outbox ids held.
 */
async function holdFirstMessages(
  deps: SenderDeps,
  claimed: OutboxRow[],
  states: Map<number, SendState>,
  now: string,
): Promise<Set<number>> {
  const bySurvey = new Map<string, OutboxRow[]>();
  for (const row of claimed) {
    const state = states.get(Number(row.invitation_id));
    if (row.kind !== 'invitation' || !state || cancelReason(state, now)) continue;
    const rows = bySurvey.get(state.surveyId);
    if (rows) rows.push(row);
    else bySurvey.set(state.surveyId, [row]);
  }
  const out = new Set<number>();
  if (bySurvey.size === 0) return out;
  await deps.db.kysely.transaction().execute(async (trx) => {
    for (const [surveyId, rows] of bySurvey) {
      const members = await heldForQuota(
        trx,
        { dialect: deps.db.dialect, panel: deps.panel },
        surveyId,
        rows.map((r) => Number(r.invitation_id)),
      );
      const ids = rows.filter((r) => members.has(Number(r.invitation_id))).map((r) => Number(r.id));
      if (ids.length === 0) continue;
      await trx
        .updateTable('distribution_outbox')
        .set((eb) => ({
          status: 'held',
          attempts: eb('attempts', '-', 1),
          next_attempt_at: now,
          last_error: heldReason,
        }))
        .where('id', 'in', ids)
        .where('status', '=', 'sending')
        .execute();
      for (const id of ids) out.add(id);
    }
  });
  return out;
}
