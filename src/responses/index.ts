/** The responses module's door: answering sessions, completion, bulk import and the CSV export. */
export { csvField, csvRecord, formulaSafe } from './csv.ts';
export { responseErrors } from './errors.ts';
export { createResponseService, type ResponseServiceProps } from './response-service.ts';
export type * from './types.ts';
