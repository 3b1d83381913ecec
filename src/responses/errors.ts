import { EnqueteError } from '../kernel/index.ts';
import type { ValidationIssue } from '../surveys/index.ts';

/**
 * The responses module's error catalogue: every failure it raises, with its stable code.
 *
 * @example
 * throw responseErrors.tokenUnknown();
 */
export const responseErrors = {
  tokenUnknown: () =>
    new EnqueteError('RESPONSE_TOKEN_UNKNOWN', 'not_found', 'this survey link is not valid (unknown token)'),
  closed: () => new EnqueteError('RESPONSE_CLOSED', 'conflict', 'this response has already been submitted'),
  invalid: (issues: ValidationIssue[]) =>
    new EnqueteError(
      'RESPONSE_INVALID',
      'invalid',
      `the answers are not valid: ${issues
        .slice(0, 3)
        .map((i) => (i.question ? `${i.question}: ${i.message}` : i.message))
        .join('; ')}${issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''}`,
      { details: { issues } },
    ),
  surveyNotOpen: (surveyId: string, why: string) =>
    new EnqueteError(
      'SURVEY_NOT_OPEN',
      'conflict',
      `survey ${surveyId} does not take answers by open link: ${why}`,
    ),
  exportFormatUnsupported: (format: string) =>
    new EnqueteError(
      'EXPORT_FORMAT_UNSUPPORTED',
      'invalid',
      format === 'xlsx' || format === 'sav'
        ? `export format ${format} is not available yet; use csv`
        : `unknown export format ${format}; use csv`,
    ),
};
