import { requestJson } from '../shared/api-client.ts';

export type ResponseStatus = 'in_progress' | 'completed' | 'screened_out' | 'quota_full';

/** What `GET /api/v1/respond/:token` answers. */
export interface RespondentView {
  title: string;
  surveyjs: Record<string, unknown>;
  screenOut: { expression: string; html: string }[];
  data: Record<string, unknown>;
  page: number;
  status: ResponseStatus;
}

export interface CompletionAnswer {
  status: 'completed' | 'screened_out' | 'quota_full';
  html: string | null;
  repeated: boolean;
}

/** One validation problem the server found at completion (`details.issues` of RESPONSE_INVALID). */
export interface ServerIssue {
  question: string;
  code: string;
  message: string;
}

const base = (token: string) => `/api/v1/respond/${encodeURIComponent(token)}`;

/** The respondent API for one token. */
export const respondApi = {
  load(token: string, channel: string | null): Promise<RespondentView> {
    const query = channel ? `?ch=${encodeURIComponent(channel)}` : '';
    return requestJson<RespondentView>('GET', base(token) + query);
  },
  save(
    token: string,
    body: { data: Record<string, unknown>; page: number },
    keepalive = false,
  ): Promise<void> {
    return requestJson<unknown>('PUT', base(token), { body, keepalive }).then(() => undefined);
  },
  complete(token: string, data: Record<string, unknown>): Promise<CompletionAnswer> {
    return requestJson<CompletionAnswer>('POST', `${base(token)}/complete`, { body: { data } });
  },
};

/** Reads `details.issues` of a RESPONSE_INVALID error, dropping entries of the wrong shape. */
export function issuesOf(details: Record<string, unknown> | undefined): ServerIssue[] {
  const raw = details?.['issues'];
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { question, code, message } = entry as Record<string, unknown>;
    if (typeof message !== 'string') return [];
    return [
      {
        question: typeof question === 'string' ? question : '',
        code: typeof code === 'string' ? code : '',
        message,
      },
    ];
  });
}
