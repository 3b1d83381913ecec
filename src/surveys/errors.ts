import { EnqueteError } from '../kernel/index.ts';
import type { DefinitionError } from './types.ts';

/** The surveys module's error catalogue. */
export const surveyErrors = {
  definitionInvalid(errors: DefinitionError[]): EnqueteError {
    const first = errors[0];
    const summary = first ? `${first.place}: ${first.message}` : 'invalid definition';
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    return new EnqueteError(
      'SURVEY_DEFINITION_INVALID',
      'invalid',
      `survey definition is invalid: ${summary}${more}`,
      {
        details: { errors },
      },
    );
  },
  notFound(id: string): EnqueteError {
    return new EnqueteError('SURVEY_NOT_FOUND', 'not_found', `survey ${id} does not exist`);
  },
  versionNotFound(id: string, version: number): EnqueteError {
    return new EnqueteError(
      'SURVEY_VERSION_NOT_FOUND',
      'not_found',
      `survey ${id} has no version ${version}`,
    );
  },
  notPublished(id: string): EnqueteError {
    return new EnqueteError('SURVEY_NOT_PUBLISHED', 'conflict', `survey ${id} has no published version yet`);
  },
};
