/** Status of one answering session. */
export type ResponseStatus = 'in_progress' | 'completed' | 'screened_out';

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
  status: 'completed' | 'screened_out';
  /** The end page to show on screen-out (HTML), else null. */
  html: string | null;
  /** True when the token had already been completed: nothing was stored this time. */
  repeated: boolean;
}

export interface ResponseCounts {
  in_progress: number;
  completed: number;
  screened_out: number;
}

/** The responses module's door. */
export interface ResponseService {
  /** Open link: a personal token for a visitor (or the one in their cookie, if still valid). */
  openLink(surveyId: string, input: { existingToken?: string | undefined; channel?: string | undefined }): Promise<string>;
  /** What the respondent page needs; throws RESPONSE_TOKEN_UNKNOWN. */
  load(token: string, input?: { channel?: string | undefined }): Promise<RespondentView>;
  /** Saves a partial (values checked, required not enforced); throws RESPONSE_CLOSED after completion. */
  savePartial(token: string, input: { data: Record<string, unknown>; page: number }): Promise<void>;
  /** Validates on the server and completes; repeating it is harmless (returns the stored outcome). */
  complete(token: string, input: { data: Record<string, unknown> }): Promise<CompletionResult>;
  counts(surveyId: string): Promise<ResponseCounts>;
  countsBySurvey(): Promise<Map<string, ResponseCounts>>;
}
