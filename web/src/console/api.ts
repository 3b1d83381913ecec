import { requestJson } from '../shared/api-client.ts';

export type Role = 'admin' | 'researcher' | 'client';
export type Format = 'json' | 'yaml';

export interface User {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  client: string | null;
  disabled?: boolean;
  createdAt?: string;
  lastLoginAt?: string | null;
}

export interface Counts {
  in_progress: number;
  completed: number;
  screened_out: number;
}

export interface SurveySummary {
  id: string;
  title: string;
  client: string | null;
  timezone: string;
  currentVersion: number | null;
  openLink: boolean;
  closed: boolean;
  createdAt: string;
  draftUpdatedAt: string;
  counts: Counts;
}

export interface SurveyVersionInfo {
  version: number;
  publishedAt: string;
  publishedBy: string | null;
}

export interface SurveyDetail extends SurveySummary {
  draftSource: string;
  draftChanged: boolean;
  versions: SurveyVersionInfo[];
}

export interface DefinitionError {
  place: string;
  message: string;
}

export interface CheckResult {
  ok: boolean;
  errors: DefinitionError[];
  surveyjs?: Record<string, unknown>;
}

export interface VersionDocument extends SurveyVersionInfo {
  document: Record<string, unknown>;
}

const survey = (id: string) => `/api/v1/surveys/${encodeURIComponent(id)}`;

/** The console's calls to the HTTP API (docs/api.md). */
export const api = {
  me: () => requestJson<{ user: User }>('GET', '/api/v1/me').then((r) => r.user),
  signIn: (email: string, password: string) =>
    requestJson<{ user: User }>('POST', '/api/v1/session', { body: { email, password } }).then((r) => r.user),
  signOut: () => requestJson<void>('DELETE', '/api/v1/session'),

  surveys: () => requestJson<{ surveys: SurveySummary[] }>('GET', '/api/v1/surveys').then((r) => r.surveys),
  survey: (id: string) => requestJson<{ survey: SurveyDetail }>('GET', survey(id)).then((r) => r.survey),
  version: (id: string, version: number) =>
    requestJson<VersionDocument>('GET', `${survey(id)}/versions/${version}`),
  check: (source: string, format: Format) =>
    requestJson<CheckResult>('POST', '/api/v1/surveys/check', { body: { source, format } }),
  create: (input: { source: string; format: Format; client: string | null; publish: boolean }) =>
    requestJson<{ survey: SurveyDetail }>('POST', '/api/v1/surveys', { body: input }).then((r) => r.survey),
  saveDraft: (id: string, source: string, format: Format) =>
    requestJson<{ survey: SurveyDetail }>('PUT', `${survey(id)}/draft`, { body: { source, format } }).then(
      (r) => r.survey,
    ),
  publish: (id: string) =>
    requestJson<{ version: SurveyVersionInfo }>('POST', `${survey(id)}/publish`).then((r) => r.version),
  updateSettings: (id: string, settings: { openLink?: boolean; closed?: boolean }) =>
    requestJson<{ survey: SurveyDetail }>('PATCH', survey(id), { body: settings }).then((r) => r.survey),
  exportUrl: (id: string, labels: boolean) => `${survey(id)}/export.csv${labels ? '?labels=1' : ''}`,

  users: () => requestJson<{ users: User[] }>('GET', '/api/v1/users').then((r) => r.users),
  addUser: (input: { email: string; name?: string; role: Role; client?: string }) =>
    requestJson<{ user: User; password: string }>('POST', '/api/v1/users', { body: input }),
  updateUser: (id: string, input: { disabled?: boolean }) =>
    requestJson<{ user: User }>('PATCH', `/api/v1/users/${encodeURIComponent(id)}`, { body: input }).then(
      (r) => r.user,
    ),
};
