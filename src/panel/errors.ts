import { EnqueteError } from '../kernel/index.ts';

/** The panel module's error catalogue. */
export const panelErrors = {
  memberNotFound: (externalId: string) =>
    new EnqueteError('MEMBER_NOT_FOUND', 'not_found', `member ${JSON.stringify(externalId)} does not exist`),
  /** A segment that does not parse or does not fit the attributes; `column` is 1-based. */
  segmentInvalid: (column: number, message: string) =>
    new EnqueteError('SEGMENT_INVALID', 'invalid', `column ${column}: ${message}`, {
      details: { column, message },
    }),
  /** The file cannot be imported at all (no header, no key column, duplicate column names…). */
  csvInvalid: (message: string) => new EnqueteError('MEMBERS_CSV_INVALID', 'invalid', message),
  attributeTypeConflict: (key: string, declared: string, stored: string) =>
    new EnqueteError(
      'MEMBER_ATTRIBUTE_TYPE_CONFLICT',
      'conflict',
      `column ${key} is declared ${declared}, but the attribute ${key} is already ${stored}`,
      { details: { key, declared, stored } },
    ),
  queryInvalid: (message: string) => new EnqueteError('MEMBER_QUERY_INVALID', 'invalid', message),
  importTokenInvalid: () =>
    new EnqueteError(
      'MEMBERS_IMPORT_TOKEN_INVALID',
      'invalid',
      'an import progress token is 22 to 64 characters of A-Z, a-z, 0-9, - and _ (128 bits or more)',
    ),
  importTokenTaken: () =>
    new EnqueteError(
      'MEMBERS_IMPORT_TOKEN_TAKEN',
      'conflict',
      'this progress token names another import; pick a new random one',
    ),
  importNotFound: () =>
    new EnqueteError(
      'MEMBERS_IMPORT_NOT_FOUND',
      'not_found',
      'no import with this progress token runs here (finished imports are kept 15 minutes)',
    ),
};
