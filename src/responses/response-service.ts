import type { Db } from '../db/index.ts';
import type { InvitationGate } from '../distribution/index.ts';
import { type Clock, type Ids, isoNow } from '../kernel/index.ts';
import type { CompiledSurvey, SurveyService, ValidationIssue } from '../surveys/index.ts';
import { responseErrors } from './errors.ts';
import { createCsvExporter } from './export-csv.ts';
import { importCompleted } from './import-completed.ts';
import { createOpenLinkTokens, type OpenLinkClaim } from './open-link-tokens.ts';
import {
  countByStatus,
  emptyCounts,
  findByToken,
  type ResponseRow,
  setChannelIfUnset,
  updateInProgress,
} from './queries.ts';
import type { CompletionResult, RespondentView, ResponseService, ResponseStatus } from './types.ts';

export interface ResponseServiceProps {
  db: Db;
  clock: Clock;
  ids: Ids;
  surveys: SurveyService;
  /**
   * The distribution hub's side of answering: invitation tokens, their status events and the
   * completion hook (quotas). Without it, only open-link tokens exist and completions complete.
   */
  invitations?: InvitationGate;
}

/** No invitations: every token is an open-link token and every completion completes. */
const noInvitations: InvitationGate = {
  admit: async () => null,
  find: async () => null,
  opened: async () => {},
  started: async () => {},
  finished: async () => {},
  onComplete: async () => 'completed',
  committed: () => {},
  memberExternalIds: async () => new Map(),
};

/**
 * The responses module: answering sessions from the first open to completion or screen-out.
 *
 * @example
 * const responses = createResponseService({ db, clock, ids, surveys });
 * const token = await responses.openLink(surveyId, {});
 * await responses.savePartial(token, { data: { q1: 2 }, page: 0 });
 * const result = await responses.complete(token, { data: { q1: 2, q2: 'yes' } });
 */
export function createResponseService(props: ResponseServiceProps): ResponseService {
  const { db, clock, ids, surveys } = props;
  const gate = props.invitations ?? noInvitations;
  const k = db.kysely;

  const openTokens = createOpenLinkTokens({ db, clock, ids });

  async function rowOf(token: string): Promise<ResponseRow> {
    const row = await findByToken(k, token);
    if (!row) throw responseErrors.tokenUnknown();
    return row;
  }

  /**
   * The response of a token. An invitation token used for the first time is started first:
   * whichever call comes first (load, a partial save, a completion) opens the invitation. An
   * open-link token not saved yet has no row: it answers the row it will get, not stored
   * (`stored: false`), and {@link stored} writes it once something is worth keeping.
   * Throws RESPONSE_TOKEN_UNKNOWN, or INVITATION_NOT_OPEN for an invitation not answerable now.
   */
  async function sessionOf(token: string, channel?: string): Promise<{ row: ResponseRow; stored: boolean }> {
    const found = await findByToken(k, token);
    if (found) return { row: found, stored: true };
    const claim = await openTokens.read(token);
    if (claim) return { row: openLinkRow(token, claim), stored: false };
    return { row: await startInvitation(token, channel), stored: true };
  }

  /** What an open-link token's response row holds before its first save. */
  function openLinkRow(token: string, claim: OpenLinkClaim): ResponseRow {
    return {
      id: '',
      survey_id: claim.surveyId,
      version: claim.version,
      token,
      status: 'in_progress',
      data: '{}',
      page: 0,
      channel: claim.channel,
      started_at: claim.issuedAt,
      updated_at: claim.issuedAt,
      completed_at: null,
      external_ref: null,
    };
  }

  /**
   * The stored row of a session: an open-link token's row is written here, at its first save or
   * completion (started when the visit handed the token out). Of simultaneous first writes one
   * inserts and the others find its row, so a token never has two responses.
   */
  async function stored(session: { row: ResponseRow; stored: boolean }): Promise<ResponseRow> {
    if (session.stored) return session.row;
    await k
      .insertInto('responses')
      .values({ ...session.row, id: ids.id('rs'), updated_at: isoNow(clock) })
      .onConflict((oc) => oc.column('token').doNothing())
      .execute();
    return rowOf(session.row.token);
  }

  /**
   * The first visit of an invitation token: its response row and the `opened` event, in one
   * transaction. Of two simultaneous first visits, one inserts and records; the other finds it.
   */
  async function startInvitation(token: string, channel: string | undefined): Promise<ResponseRow> {
    const invitation = await gate.admit(k, token);
    if (!invitation) throw responseErrors.tokenUnknown();
    const now = isoNow(clock);
    await k.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('responses')
        .values({
          id: ids.id('rs'),
          survey_id: invitation.surveyId,
          version: invitation.version,
          token,
          status: 'in_progress',
          data: '{}',
          page: 0,
          channel: channel ?? null,
          started_at: now,
          updated_at: now,
          completed_at: null,
          external_ref: null,
        })
        .onConflict((oc) => oc.column('token').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) await gate.opened(trx, token, channel ?? null);
    });
    gate.committed();
    return rowOf(token);
  }

  const compiledOf = (row: ResponseRow): Promise<CompiledSurvey> =>
    surveys.compiled(row.survey_id, Number(row.version));

  /** What a finished row answers when asked to complete again. */
  async function storedOutcome(row: ResponseRow): Promise<CompletionResult> {
    const status = row.status === 'in_progress' ? 'completed' : row.status;
    let html: string | null = null;
    if (status === 'screened_out') {
      // The rule's page is not stored: the stored answers matched it once and match it again.
      const compiled = await compiledOf(row);
      html =
        compiled.validate(parseData(row.data), 'partial').screenedOut?.html ??
        compiled.document.screenOut[0]?.html ??
        null;
    }
    return { responseId: row.id, status, html, repeated: true };
  }

  return {
    async openLink(surveyId, input) {
      const survey = await surveys.get(surveyId);
      if (survey.currentVersion === null) throw responseErrors.surveyNotOpen(surveyId, 'not published');
      if (!survey.openLink) throw responseErrors.surveyNotOpen(surveyId, 'open link is off');
      if (survey.closed) throw responseErrors.surveyNotOpen(surveyId, 'the survey is closed');
      const existing = input.existingToken;
      if (existing) {
        if ((await openTokens.read(existing))?.surveyId === surveyId) return existing;
        // A token from before tokens were signed has its row from the visit.
        if ((await findByToken(k, existing))?.survey_id === surveyId) return existing;
      }
      // Nothing is stored for a visit (previewers and crawlers fetch links too): the row is
      // written at the first save or completion, from what the token says.
      return openTokens.issue({
        surveyId,
        version: survey.currentVersion,
        channel: input.channel ?? 'open',
        issuedAt: isoNow(clock),
      });
    },

    async load(token, input = {}) {
      const { row, stored: found } = await sessionOf(token, input.channel);
      // Started without a channel (by a first save or completion, or a visit without ?ch=): the
      // first visit that names one records it.
      if (found && input.channel && row.channel === null) await setChannelIfUnset(k, token, input.channel);
      const compiled = await compiledOf(row);
      const surveyjs = compiled.document.surveyjs;
      return {
        token,
        surveyId: row.survey_id,
        version: Number(row.version),
        title: titleOf(surveyjs) ?? (await surveys.get(row.survey_id)).title,
        surveyjs,
        screenOut: compiled.document.screenOut,
        data: parseData(row.data),
        page: Number(row.page),
        status: row.status as ResponseStatus,
      } satisfies RespondentView;
    },

    async savePartial(token, input) {
      const session = await sessionOf(token);
      if (session.row.status !== 'in_progress') throw responseErrors.closed();
      const compiled = await compiledOf(session.row);
      const pageIssue = checkPage(input.page, compiled.document.surveyjs);
      if (pageIssue) throw responseErrors.invalid([pageIssue]);
      const result = compiled.validate(input.data, 'partial');
      if (result.issues.length > 0) throw responseErrors.invalid(result.issues);
      await stored(session);
      await k.transaction().execute(async (trx) => {
        const changed = await updateInProgress(trx, token, {
          data: JSON.stringify(result.data),
          page: input.page,
          updated_at: isoNow(clock),
        });
        if (changed === 0) throw responseErrors.closed();
        await gate.started(trx, token);
      });
      gate.committed();
    },

    async complete(token, input) {
      const session = await sessionOf(token);
      if (session.row.status !== 'in_progress') return storedOutcome(session.row);
      const compiled = await compiledOf(session.row);
      const result = compiled.validate(input.data, 'complete');
      const screenedOut = result.screenedOut;
      if (!screenedOut && !result.ok) throw responseErrors.invalid(result.issues);
      // Written only now for an open-link token: a refused completion stores nothing. If another
      // completion got there first, the guarded update below finds the row finished.
      const row = await stored(session);
      const status = screenedOut ? 'screened_out' : 'completed';
      const now = isoNow(clock);
      const outcome = await k.transaction().execute(async (trx) => {
        const changed = await updateInProgress(trx, token, {
          status,
          data: JSON.stringify(result.data),
          updated_at: now,
          completed_at: now,
        });
        if (changed === 0) {
          // Another completion of this token won the race: answer with what it stored.
          const stored = await findByToken(trx, token);
          if (!stored) throw responseErrors.tokenUnknown();
          return storedOutcome(stored);
        }
        let final: CompletionResult['status'] = status;
        if (status === 'completed') {
          // The row is claimed: only this completion runs the hook (a quota reservation), and
          // it rolls back with the rest if anything below fails.
          const invitation = await gate.find(trx, token);
          final = await gate.onComplete(trx, {
            surveyId: row.survey_id,
            versionId: Number(row.version),
            invitationId: invitation?.invitationId ?? null,
            memberId: invitation?.memberId ?? null,
            data: result.data,
          });
          if (final === 'quota_full') {
            await trx
              .updateTable('responses')
              .set({ status: 'quota_full' })
              .where('id', '=', row.id)
              .execute();
          }
        }
        await gate.finished(trx, token, final);
        return { responseId: row.id, status: final, html: screenedOut?.html ?? null, repeated: false };
      });
      gate.committed();
      return outcome;
    },

    async counts(surveyId) {
      return (await countByStatus(k, surveyId)).get(surveyId) ?? emptyCounts();
    },

    countsBySurvey: () => countByStatus(k),

    importCompleted: (surveyId, rows) => importCompleted({ db, clock, ids, surveys }, surveyId, rows),

    ...createCsvExporter({ db, surveys, invitations: gate }),
  };
}

function parseData(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function titleOf(surveyjs: Record<string, unknown>): string | undefined {
  const title = surveyjs['title'];
  if (typeof title === 'string') return title;
  if (title && typeof title === 'object' && 'default' in title && typeof title.default === 'string') {
    return title.default;
  }
  return undefined;
}

/** A page index must point at one of the survey's pages. */
function checkPage(page: number, surveyjs: Record<string, unknown>): ValidationIssue | null {
  const pages = surveyjs['pages'];
  const count = Array.isArray(pages) && pages.length > 0 ? pages.length : 1;
  if (Number.isInteger(page) && page >= 0 && page < count) return null;
  return { question: '', code: 'OUT_OF_RANGE', message: `page must be an integer from 0 to ${count - 1}` };
}
