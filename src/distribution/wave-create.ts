import type { Db } from '../db/index.ts';
import { type Clock, type Ids, isoNow } from '../kernel/index.ts';
import type { PanelService } from '../panel/index.ts';
import type { SurveyService } from '../surveys/index.ts';
import { checkTemplate, defaultTemplate } from './email/index.ts';
import { distributionErrors } from './errors.ts';
import { insertInvitations } from './invitation-writes.ts';
import { checkExternalUrl, newReturnSecret, returnLinksOf } from './return-links.ts';
import { parseInstant, parseReminders } from './schedule.ts';
import type { ReturnLinks, Wave, WaveInput } from './types.ts';
import { toWave, waveRow } from './wave-queries.ts';

export interface WaveCreateDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
  surveys: SurveyService;
  panel: PanelService;
  /** Base of the return links of external waves. */
  publicUrl: string;
  /** Members per batch (one transaction each); default 10,000. */
  batchSize?: number;
}

export interface WaveCreated {
  wave: Wave;
  /** Invitations written by this wave. */
  invited: number;
  /** Members of the segment skipped because an earlier wave already invited them to the survey. */
  alreadyInvited: number;
  /**
   * Of the invitations written by this wave, those whose member has no e-mail address. An e-mail
   * wave cannot reach them: each ends `send_failed` when the first messages are queued. (Counted
   * for portal waves too, where it changes nothing.)
   */
  withoutEmail: number;
  /**
   * External waves only: the engine's signing key and return URL templates. The creation answer
   * is the one place they are handed out (besides DistributionService.returnLinks, for admins).
   */
  returnLinks: ReturnLinks | null;
}

/** About six questions a minute, when the survey does not say how long it takes. */
const questionsPerMinute = 6;

/**
 * Checks everything that can be wrong before writing anything (survey published and open,
 * segment, times, reminders, template), then writes the wave and one invitation per member of the
 * segment in batches, each batch in its own transaction so that respondents' writes interleave.
 * The wave is `creating` until the last batch, then `ready`; if a batch fails it is `failed` with
 * the reason, and the invitations written so far stay (no member is ever invited twice).
 */
export async function createWave(deps: WaveCreateDeps, input: WaveInput): Promise<WaveCreated> {
  const { db, clock, ids, surveys, panel } = deps;
  const k = db.kysely;
  const channel = input.channel ?? 'email';
  if (channel !== 'email' && channel !== 'portal') {
    throw distributionErrors.waveInvalid(`${JSON.stringify(channel)} is not email or portal`, 'channel');
  }
  const externalUrl = input.externalUrl == null ? null : checkExternalUrl(input.externalUrl);
  const survey = await surveys.get(input.surveyId);
  if (survey.currentVersion === null) throw distributionErrors.surveyNotPublished(survey.id);
  if (survey.closed) throw distributionErrors.surveyClosed(survey.id);
  // Compiles the segment against the attribute types: SEGMENT_INVALID names the column.
  await panel.segmentCondition(input.segment);

  const now = isoNow(clock);
  const startAt = input.startAt ? parseInstant(input.startAt, 'startAt') : now;
  const deadline = input.deadline ? parseInstant(input.deadline, 'deadline') : null;
  if (deadline !== null && deadline <= startAt) {
    throw distributionErrors.waveInvalid('must be after the start', 'deadline');
  }
  const reminders = parseReminders(input.reminders);
  if (reminders.length > 0 && channel !== 'email') {
    throw distributionErrors.waveInvalid('reminders are messages: only email waves have them', 'reminders');
  }
  const startMs = Date.parse(startAt);
  const late = reminders.find((r) => deadline !== null && startMs + r.ms >= Date.parse(deadline));
  if (late) throw distributionErrors.waveInvalid(`${late.text} falls after the deadline`, 'reminders');

  const template = {
    subject: input.subject ?? defaultTemplate.subject,
    body: input.body ?? defaultTemplate.body,
    format: input.format ?? defaultTemplate.format ?? 'text',
  };
  const attributeKeys = (await panel.attributeTypes()).map((a) => a.key);
  // Portal waves send no message; an e-mail's body must show the way out (docs/distribution.md).
  checkTemplate(template, { attributes: attributeKeys, requireUnsubscribe: channel === 'email' });

  const compiled = await surveys.compiled(survey.id);
  const estimatedMinutes =
    compiled.document.estimatedMinutes ??
    Math.max(1, Math.ceil(compiled.codebook.questions.length / questionsPerMinute));

  const id = ids.id('wv');
  await k
    .insertInto('waves')
    .values({
      id,
      survey_id: survey.id,
      name: input.name?.trim() || null,
      segment: input.segment,
      channel,
      start_at: startAt,
      deadline,
      reminders: JSON.stringify(reminders.map((r) => r.ms)),
      subject: template.subject,
      body: template.body,
      body_format: template.format,
      estimated_minutes: estimatedMinutes,
      status: 'creating',
      invited: 0,
      dispatch_cursor: 0,
      dispatched_at: null,
      reminders_done: 0,
      reminder_cursor: 0,
      error: null,
      created_at: now,
      created_by: input.actor,
      external_url: externalUrl,
      return_secret: externalUrl === null ? null : newReturnSecret(ids),
    })
    .execute();

  let invited = 0;
  let seen = 0;
  try {
    for await (const memberIds of panel.segmentMemberIds(input.segment, deps.batchSize ?? 10_000)) {
      seen += memberIds.length;
      const tokens = memberIds.map(() => ids.token());
      invited += await k.transaction().execute((trx) =>
        insertInvitations(trx, db.dialect, {
          waveId: id,
          surveyId: survey.id,
          channel,
          at: now,
          memberIds,
          tokens,
        }),
      );
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await k
      .updateTable('waves')
      .set({ status: 'failed', invited, error: reason.slice(0, 1000) })
      .where('id', '=', id)
      .execute();
    throw error;
  }
  await k.updateTable('waves').set({ status: 'ready', invited }).where('id', '=', id).execute();
  const row = await waveRow(k, id);
  return {
    wave: toWave(row),
    invited,
    alreadyInvited: seen - invited,
    withoutEmail: await countWithoutEmail(db, id),
    returnLinks: externalUrl === null ? null : returnLinksOf(deps.publicUrl, row),
  };
}

/** Invitations of a wave whose member has no e-mail address (null or empty). */
async function countWithoutEmail(db: Db, waveId: string): Promise<number> {
  const row = await db.kysely
    .selectFrom('invitations')
    .innerJoin('members', 'members.id', 'invitations.member_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('invitations.wave_id', '=', waveId)
    .where((eb) => eb.or([eb('members.email', 'is', null), eb('members.email', '=', '')]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
