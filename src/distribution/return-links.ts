import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/index.ts';
import type { Clock, Ids } from '../kernel/index.ts';
import type { SurveyService } from '../surveys/index.ts';
import { distributionErrors } from './errors.ts';
import { advance, openState } from './respondent-gate.ts';
import { finalStatuses } from './schedule.ts';
import type {
  CompletionHook,
  ExternalEntry,
  InvitationStatus,
  ReturnLinks,
  ReturnOutcome,
  ReturnRecorded,
} from './types.ts';
import type { WaveRow } from './wave-queries.ts';

/** The invitation status each return link records. */
export const outcomeStatus = {
  complete: 'completed',
  screenout: 'screened_out',
  quotafull: 'quota_full',
} as const satisfies Record<ReturnOutcome, InvitationStatus>;

export const returnOutcomes = [
  'complete',
  'screenout',
  'quotafull',
] as const satisfies readonly ReturnOutcome[];

const placeholder = '{token}';
const maxUrlLength = 2000;

/**
 * Checks an external engine's address template: http(s), `{token}` exactly once and after the
 * host (so the member's token never picks the server), no spaces. Throws WAVE_INVALID naming
 * `externalUrl`; resolves with the template as given.
 *
 * @example
 * checkExternalUrl('https://engine.example/s/abc?rid={token}'); // → the same text
 * checkExternalUrl('javascript:alert(1)//{token}'); // throws WAVE_INVALID (externalUrl)
 */
export function checkExternalUrl(template: string): string {
  const refuse = (why: string) => distributionErrors.waveInvalid(why, 'externalUrl');
  if (typeof template !== 'string' || template.length === 0) throw refuse('must be a URL with {token}');
  if (template.length > maxUrlLength) throw refuse(`at most ${maxUrlLength} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\s\u0000-\u001f\u007f]/.test(template)) throw refuse('must not contain spaces or control characters');
  const count = template.split(placeholder).length - 1;
  if (count !== 1) throw refuse(`must contain {token} exactly once (found ${count})`);
  if (!/^https?:\/\//i.test(template)) throw refuse('must start with http:// or https://');
  const a = parseUrl(template.replace(placeholder, 'A'));
  const b = parseUrl(template.replace(placeholder, 'B-b_9'));
  if (!a || !b || !a.hostname) throw refuse(`${JSON.stringify(template)} is not a URL`);
  if (a.protocol !== 'http:' && a.protocol !== 'https:') throw refuse('must be an http or https URL');
  if (a.origin !== b.origin) throw refuse('{token} must be in the path, query or fragment, not the host');
  return template;
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** The engine's address for one member: the template with the token, URL-encoded. */
export function externalLink(template: string, token: string): string {
  return template.split(placeholder).join(encodeURIComponent(token));
}

/** A wave's HMAC key: two tokens, at least 288 random bits (HMAC-SHA256 wants 256). */
export function newReturnSecret(ids: Ids): string {
  return ids.token() + ids.token();
}

/**
 * The signature of a return link: base64url (no padding) of HMAC-SHA256 over `<token>.<outcome>`
 * with the wave's secret (its text as UTF-8) as the key.
 *
 * @example
 * returnSignature(secret, 'Qm9vLXRva2VuLTEyMzQ1Njc4', 'complete'); // → 43 characters
 */
export function returnSignature(secret: string, token: string, outcome: ReturnOutcome): string {
  return createHmac('sha256', secret).update(`${token}.${outcome}`, 'utf8').digest('base64url');
}

/** Compares in constant time, as text: base64url's spare low bits make no second valid form. */
function signatureValid(secret: string, token: string, outcome: ReturnOutcome, sig: string): boolean {
  const expected = Buffer.from(returnSignature(secret, token, outcome), 'utf8');
  const given = Buffer.from(sig, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The three return URL templates of an external wave, with its secret. */
export function returnLinksOf(
  publicUrl: string,
  wave: Pick<WaveRow, 'id' | 'external_url' | 'return_secret'>,
) {
  if (wave.external_url === null || wave.return_secret === null) {
    throw distributionErrors.returnNotExternal(`wave ${wave.id}`);
  }
  const link = (outcome: ReturnOutcome) => `${publicUrl}/r/{token}/${outcome}?sig={sig}`;
  return {
    waveId: wave.id,
    externalUrl: wave.external_url,
    secret: wave.return_secret,
    complete: link('complete'),
    screenout: link('screenout'),
    quotafull: link('quotafull'),
  } satisfies ReturnLinks;
}

export interface ReturnDeps {
  db: Db;
  clock: Clock;
  surveys: SurveyService;
}

const isFinal = (status: InvitationStatus): status is ReturnRecorded['status'] =>
  finalStatuses.includes(status);

/**
 * Where `/s/:token` leads when the token's wave is on an external engine: a first visit records
 * `opened` with its channel and goes to the engine; a finished invitation shows its outcome. Null
 * for every other token, and for an external wave that is not open now (not started, past its
 * deadline, survey closed): the respondent page then asks the API, which says why.
 */
export async function enterExternal(
  deps: ReturnDeps,
  token: string,
  channel: string | null,
): Promise<ExternalEntry | null> {
  const k = deps.db.kysely;
  const row = await k
    .selectFrom('invitations')
    .innerJoin('waves', 'waves.id', 'invitations.wave_id')
    .select([
      'invitations.status',
      'invitations.survey_id',
      'waves.external_url',
      'waves.start_at',
      'waves.deadline',
    ])
    .where('invitations.token', '=', token)
    .executeTakeFirst();
  if (!row || row.external_url === null) return null;
  if (isFinal(row.status)) {
    return {
      kind: 'finished',
      status: row.status,
      surveyTitle: (await deps.surveys.get(row.survey_id)).title,
    };
  }
  if ('reason' in (await openState(deps, row, row.survey_id))) return null;
  await k.transaction().execute((trx) => advance(trx, deps.clock, token, 'opened', channel));
  return { kind: 'redirect', url: externalLink(row.external_url, token) };
}

/**
 * Records what an external engine reports through a return link, once: the invitation moves to
 * completed, screened_out or quota_full with its event, in one transaction. Checked in this order:
 * INVITATION_UNKNOWN, RETURN_NOT_EXTERNAL, RETURN_SIGNATURE_INVALID (wrong, missing, another
 * outcome's or another wave's signature), then RETURN_ALREADY_RECORDED when any outcome is already
 * there (a replay). A refusal changes nothing. The wave's deadline does not apply: a member who
 * entered in time may finish on the engine after it.
 *
 * A `complete` goes through the completion hook (quotas) in the same transaction, without answers:
 * it takes a slot of every cell it falls in by the member's attributes (and of totals), or, when
 * one of those is full, takes nothing and is recorded `quota_full` (its event's detail says the
 * engine reported `complete`). Of simultaneous links of one invitation the one that loses the
 * status update rolls back, slots included.
 */
export async function recordReturn(
  deps: ReturnDeps & { onComplete: CompletionHook },
  token: string,
  outcome: ReturnOutcome,
  sig: string,
): Promise<ReturnRecorded> {
  const k = deps.db.kysely;
  const found = await k
    .selectFrom('invitations')
    .innerJoin('waves', 'waves.id', 'invitations.wave_id')
    .select(['invitations.survey_id', 'waves.return_secret'])
    .where('invitations.token', '=', token)
    .executeTakeFirst();
  if (!found) throw distributionErrors.invitationUnknown();
  if (found.return_secret === null) throw distributionErrors.returnNotExternal("this invitation's wave");
  if (!signatureValid(found.return_secret, token, outcome, sig))
    throw distributionErrors.returnSignatureInvalid();
  // Read before the transaction: on SQLite its one connection is busy until the commit.
  const survey = await deps.surveys.get(found.survey_id);
  const status = await k.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('invitations')
      .select(['id', 'member_id', 'status'])
      .where('token', '=', token)
      .executeTakeFirstOrThrow();
    // A replay takes no quota slot: refused before the hook.
    if (isFinal(row.status)) throw distributionErrors.returnAlreadyRecorded(row.status);
    let final: ReturnRecorded['status'] = outcomeStatus[outcome];
    if (outcome === 'complete') {
      final = await deps.onComplete(trx, {
        surveyId: found.survey_id,
        versionId: null,
        invitationId: Number(row.id),
        memberId: row.member_id,
        data: null,
      });
    }
    const detail = final === outcomeStatus[outcome] ? undefined : { reported: outcome };
    if (!(await advance(trx, deps.clock, token, final, null, detail))) {
      // A simultaneous link of this invitation was recorded first; this one rolls back.
      const current = await trx
        .selectFrom('invitations')
        .select('status')
        .where('token', '=', token)
        .executeTakeFirstOrThrow();
      throw distributionErrors.returnAlreadyRecorded(current.status);
    }
    return final;
  });
  return { outcome, status, surveyTitle: survey.title };
}
