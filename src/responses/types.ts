import type { Readable, Writable } from 'node:stream';
import type { ValidationIssue } from '../surveys/index.ts';

/** Status of one answering session. `quota_full`: completed into a quota cell that was full. */
export type ResponseStatus = 'in_progress' | 'completed' | 'screened_out' | 'quota_full';

export interface RespondentView {
  token: string;
  surveyId: string;
  version: number;
  title: string;
  /** SurveyJS JSON of the version the token answers. */
  surveyjs: Record<string, unknown>;
  screenOut: { expression: string; html: string }[];
  data: Record<string, unknown>;
  page: number;
  status: ResponseStatus;
}

export interface CompletionResult {
  responseId: string;
  status: 'completed' | 'screened_out' | 'quota_full';
  /** The end page to show on screen-out (HTML), else null. */
  html: string | null;
  /** True when the token had already been completed: nothing was stored this time. */
  repeated: boolean;
}

export interface ResponseCounts {
  in_progress: number;
  completed: number;
  screened_out: number;
  /** Present once some response of the survey ended `quota_full`. */
  quota_full?: number;
}

/** The responses module's door. */
export interface ResponseService {
  /**
   * Open link: a personal token for a visitor (or the one in their cookie, if still valid). It
   * stores nothing: the token is signed and carries its survey, version, channel and time, and the
   * response row is written at the first save or completion.
   */
  openLink(
    surveyId: string,
    input: { existingToken?: string | undefined; channel?: string | undefined },
  ): Promise<string>;
  /**
   * What the respondent page needs; throws RESPONSE_TOKEN_UNKNOWN. The first visit of an
   * invitation token starts its response (and records `opened` with the channel); an open-link
   * token not saved yet gets its empty survey, and nothing is stored.
   */
  load(token: string, input?: { channel?: string | undefined }): Promise<RespondentView>;
  /**
   * Saves a partial (values checked, required not enforced); throws RESPONSE_CLOSED after
   * completion. Like `load`, the first use of an invitation token starts its response; the first
   * save of an open-link token writes its response row.
   */
  savePartial(token: string, input: { data: Record<string, unknown>; page: number }): Promise<void>;
  /**
   * Validates on the server and completes; repeating it is harmless (returns the stored outcome).
   * Like `load`, the first use of an invitation token starts its response.
   */
  complete(token: string, input: { data: Record<string, unknown> }): Promise<CompletionResult>;
  counts(surveyId: string): Promise<ResponseCounts>;
  countsBySurvey(): Promise<Map<string, ResponseCounts>>;
  /**
   * Bulk load of answers collected elsewhere, as completed responses of the current version.
   * One transaction per call; idempotent by `externalRef` (rows already there are skipped).
   */
  importCompleted(surveyId: string, rows: ImportRow[]): Promise<ImportResult>;
  /** The CSV export as a stream; survey errors (SURVEY_NOT_FOUND…) are thrown before the first byte. */
  exportCsvStream(input: CsvExportInput): Promise<Readable>;
  /** Writes the CSV export to `out` (which is ended) and resolves with the number of data rows. */
  exportCsv(input: CsvExportInput, out: Writable): Promise<{ rows: number }>;
}

export interface ImportRow {
  /** Identifier in the source system; unique per survey. */
  externalRef: string;
  data: Record<string, unknown>;
  /** ISO 8601 instant. */
  completedAt: string;
}

export interface ImportResult {
  inserted: number;
  /** Rows whose externalRef was already there (an earlier import). */
  skipped: number;
  /** Rows that failed validation; nothing of them was stored. */
  rejected: { externalRef: string; issues: ValidationIssue[] }[];
}

export interface CsvExportInput {
  surveyId: string;
  /** Choice labels instead of codes where a column has value labels. */
  labels?: boolean;
  /** Also export unfinished sessions (default: the finished ones: completed, screened_out, quota_full). */
  includeInProgress?: boolean;
}
