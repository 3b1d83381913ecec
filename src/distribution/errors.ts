import { EnqueteError } from '../kernel/index.ts';

/**
 * The distribution module's error catalogue: every failure it raises, with its stable code.
 *
 * @example
 * throw distributionErrors.waveNotFound('wv_1');
 */
export const distributionErrors = {
  waveNotFound: (id: string) => new EnqueteError('WAVE_NOT_FOUND', 'not_found', `wave ${id} does not exist`),
  waveInvalid: (message: string, field: string) =>
    new EnqueteError('WAVE_INVALID', 'invalid', `${field}: ${message}`, { details: { field } }),
  surveyNotPublished: (surveyId: string) =>
    new EnqueteError(
      'WAVE_SURVEY_NOT_PUBLISHED',
      'conflict',
      `survey ${surveyId} has no published version: publish it before inviting members`,
    ),
  surveyClosed: (surveyId: string) =>
    new EnqueteError('WAVE_SURVEY_CLOSED', 'conflict', `survey ${surveyId} is closed`),
  invitationUnknown: () =>
    new EnqueteError('INVITATION_UNKNOWN', 'not_found', 'this link is not valid (unknown token)'),
  /** A first visit after the wave's deadline, or to a survey that is closed or not yet open. */
  invitationNotOpen: (why: string) =>
    new EnqueteError('INVITATION_NOT_OPEN', 'conflict', `this invitation cannot be answered: ${why}`),
  /** A return link of an invitation whose wave the hub renders itself: it has no return links. */
  returnNotExternal: (what: string) =>
    new EnqueteError(
      'RETURN_NOT_EXTERNAL',
      'not_found',
      `${what} is not on an external engine: it has no return links`,
    ),
  returnSignatureInvalid: () =>
    new EnqueteError(
      'RETURN_SIGNATURE_INVALID',
      'forbidden',
      'this return link is not signed for this invitation',
    ),
  /** A replay: the invitation already has its outcome (from this link or another). */
  returnAlreadyRecorded: (status: string) =>
    new EnqueteError(
      'RETURN_ALREADY_RECORDED',
      'conflict',
      `an outcome is already recorded for this invitation (${status})`,
      {
        details: { status },
      },
    ),
  outboxQueryInvalid: (message: string) => new EnqueteError('OUTBOX_QUERY_INVALID', 'invalid', message),
  quotaNotFound: (id: string) =>
    new EnqueteError('QUOTA_NOT_FOUND', 'not_found', `quota ${id} does not exist`),
  quotaCellNotFound: (quotaId: string, cellId: string) =>
    new EnqueteError('QUOTA_CELL_NOT_FOUND', 'not_found', `quota ${quotaId} has no cell ${cellId}`),
  /** `field` names the place in the quota body, e.g. `cells[1].memberCondition`. */
  quotaInvalid: (message: string, field: string, extra: { column?: unknown; cause?: unknown } = {}) =>
    new EnqueteError('QUOTA_INVALID', 'invalid', `${field}: ${message}`, {
      details: { field, ...(typeof extra.column === 'number' ? { column: extra.column } : {}) },
      ...(extra.cause ? { cause: extra.cause } : {}),
    }),
  quotaInUse: (id: string, completes: number) =>
    new EnqueteError(
      'QUOTA_IN_USE',
      'conflict',
      `quota ${id} has counted ${completes} complete${completes === 1 ? '' : 's'}: it stays (its limits can still change)`,
    ),
};
