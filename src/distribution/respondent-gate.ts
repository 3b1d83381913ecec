import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { Clock } from '../kernel/index.ts';
import type { SurveyService } from '../surveys/index.ts';
import { distributionErrors } from './errors.ts';
import { recordEvents } from './invitation-writes.ts';
import { statusesBefore } from './schedule.ts';
import type { CompletionHook, InvitationStatus } from './types.ts';

/** The invitation behind a respondent token. */
export interface InvitationRef {
  invitationId: number;
  memberId: string;
  surveyId: string;
}

/**
 * What the responses module asks of the distribution hub, passed into `createResponseService`:
 * invitation tokens work as respondent tokens, and each step of answering is reported here in the
 * SAME transaction as the response write, so an invitation's status never disagrees with its
 * response. Every method is a no-op (or null) for tokens that are not invitations (open links).
 *
 * @example
 * const responses = createResponseService({ db, clock, ids, surveys, invitations: distribution.gate });
 */
export interface InvitationGate {
  /**
   * The invitation of a token that has no response yet, checked to be answerable now (the survey
   * is published and not closed, the wave has started, its deadline has not passed), with the
   * version to answer; null when no invitation has this token. Throws INVITATION_NOT_OPEN.
   */
  admit(db: Kysely<Database>, token: string): Promise<(InvitationRef & { version: number }) | null>;
  /** The invitation of a token, unchecked; null for open-link tokens. */
  find(db: Kysely<Database>, token: string): Promise<InvitationRef | null>;
  /** First visit: `opened`, with the entry channel (`?ch=`). */
  opened(trx: Kysely<Database>, token: string, channel: string | null): Promise<void>;
  /** First partial save: `started`. */
  started(trx: Kysely<Database>, token: string): Promise<void>;
  /** The final outcome: `completed`, `screened_out` or `quota_full`. */
  finished(
    trx: Kysely<Database>,
    token: string,
    status: 'completed' | 'screened_out' | 'quota_full',
  ): Promise<void>;
  /** Decides a completion's outcome in its transaction (quotas); `completed` unless a hook says otherwise. */
  onComplete: CompletionHook;
  /**
   * Called after a transaction that reported a step (opened, started, finished) committed: what
   * the hub keeps of invitation state (the portal's cache) is brought up to date before it next
   * answers. Before the commit would be too soon: another connection would not see the step yet.
   */
  committed(): void;
  /**
   * The panel's external id of the member behind each of `tokens` that is an invitation token
   * (one query, for a page of an export); open-link tokens are not in the map.
   *
   * @example
   * const ids = await gate.memberExternalIds(db, rows.map((r) => r.token)); // Map { 'tk…' => 'M01' }
   */
  memberExternalIds(db: Kysely<Database>, tokens: readonly string[]): Promise<Map<string, string>>;
}

/** Decides a completion: each hook in turn, the first `quota_full` wins. */
export function chainCompletionHooks(hooks: readonly CompletionHook[]): CompletionHook {
  return async (trx, input) => {
    for (const hook of hooks) {
      if ((await hook(trx, input)) === 'quota_full') return 'quota_full';
    }
    return 'completed';
  };
}

const timeColumn = {
  opened: 'opened_at',
  started: 'started_at',
  completed: 'finished_at',
  screened_out: 'finished_at',
  quota_full: 'finished_at',
} as const;

/**
 * Moves the invitation of `token` forward to `to` (only from an earlier status) and records the
 * event (with `detail`, if any) when it moved. Resolves with whether it moved.
 */
export async function advance(
  trx: Kysely<Database>,
  clock: Clock,
  token: string,
  to: keyof typeof timeColumn,
  channel: string | null | 'invitation',
  detail?: Record<string, unknown>,
): Promise<boolean> {
  const at = clock.now().toISOString();
  const moved = await trx
    .updateTable('invitations')
    .set({
      status: to as InvitationStatus,
      [timeColumn[to]]: at,
      ...(to === 'opened' ? { opened_channel: channel } : {}),
    })
    .where('token', '=', token)
    .where('status', 'in', statusesBefore(to))
    .returning(['id', 'opened_channel', 'channel'])
    .executeTakeFirst();
  if (!moved) return false;
  const eventChannel = to === 'opened' ? channel : (moved.opened_channel ?? moved.channel);
  await recordEvents(trx, [
    { invitationId: Number(moved.id), type: to, channel: eventChannel, at, ...(detail ? { detail } : {}) },
  ]);
  return true;
}

/**
 * Whether an invitation of this wave may be answered now (the wave has started, its deadline has
 * not passed, the survey is published and not closed): the version to answer, or why not.
 */
export async function openState(
  deps: { clock: Clock; surveys: SurveyService },
  wave: { start_at: string; deadline: string | null },
  surveyId: string,
): Promise<{ version: number } | { reason: string }> {
  const now = deps.clock.now().toISOString();
  if (wave.start_at > now) return { reason: 'the survey has not started yet' };
  if (wave.deadline !== null && wave.deadline <= now) return { reason: 'the deadline has passed' };
  const survey = await deps.surveys.get(surveyId);
  if (survey.closed) return { reason: 'the survey is closed' };
  if (survey.currentVersion === null) return { reason: 'the survey is not published' };
  return { version: survey.currentVersion };
}

/** The gate as the distribution hub implements it. */
export function createInvitationGate(deps: {
  clock: Clock;
  surveys: SurveyService;
  onComplete: CompletionHook;
  committed: () => void;
}): InvitationGate {
  const { clock } = deps;
  const find = async (db: Kysely<Database>, token: string) => {
    const row = await db
      .selectFrom('invitations')
      .select(['id', 'member_id', 'survey_id', 'wave_id'])
      .where('token', '=', token)
      .executeTakeFirst();
    return row
      ? {
          invitationId: Number(row.id),
          memberId: row.member_id,
          surveyId: row.survey_id,
          waveId: row.wave_id,
        }
      : null;
  };
  return {
    async admit(db, token) {
      const found = await find(db, token);
      if (!found) return null;
      const wave = await db
        .selectFrom('waves')
        .select(['start_at', 'deadline', 'external_url'])
        .where('id', '=', found.waveId)
        .executeTakeFirstOrThrow();
      const open = await openState({ clock, surveys: deps.surveys }, wave, found.surveyId);
      if ('reason' in open) throw distributionErrors.invitationNotOpen(open.reason);
      // Its survey is answered on the engine; answering it here too would record a second outcome.
      if (wave.external_url !== null)
        throw distributionErrors.invitationNotOpen('its survey is hosted on another site');
      const { waveId: _, ...ref } = found;
      return { ...ref, version: open.version };
    },
    async find(db, token) {
      const found = await find(db, token);
      if (!found) return null;
      const { waveId: _, ...ref } = found;
      return ref;
    },
    async opened(trx, token, channel) {
      await advance(trx, clock, token, 'opened', channel);
    },
    async started(trx, token) {
      await advance(trx, clock, token, 'started', null);
    },
    async finished(trx, token, status) {
      await advance(trx, clock, token, status, null);
    },
    onComplete: deps.onComplete,
    committed: deps.committed,
    async memberExternalIds(db, tokens) {
      if (tokens.length === 0) return new Map();
      const rows = await db
        .selectFrom('invitations')
        .innerJoin('members', 'members.id', 'invitations.member_id')
        .select(['invitations.token', 'members.external_id'])
        .where('invitations.token', 'in', tokens)
        .execute();
      return new Map(rows.map((r) => [r.token, r.external_id]));
    },
  };
}
