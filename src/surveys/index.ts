export { type CheckResult, checkDefinition, documentToObject } from './check-definition.ts';
export { buildCodebook } from './codebook.ts';
export { readColumn } from './columns.ts';
export { compileSurvey } from './compile.ts';
export { surveyErrors } from './errors.ts';
export { detectFormat, parseSource } from './parse-source.ts';
export { createSurveyService } from './survey-service.ts';
export type * from './types.ts';
