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
  /** Responses saved at least once and not finished (an open-link visit alone makes none). */
  in_progress: number;
  completed: number;
  screened_out: number;
  /** Present once some response ended quota_full. */
  quota_full?: number;
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

export type AttributeType = 'number' | 'date' | 'text' | 'list';

export interface Member {
  id: string;
  externalId: string;
  email: string | null;
  name: string | null;
  /** Numbers as numbers, lists as arrays, dates as YYYY-MM-DD. */
  attributes: Record<string, number | string | string[]>;
  optedOutAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface MemberPage {
  members: Member[];
  next: string | null;
  total?: number;
}

export interface MemberQuery {
  q?: string;
  segment?: string;
  limit?: number;
  after?: string;
  total?: boolean;
}

export interface AttributeEntry {
  key: string;
  type: AttributeType;
  values: (number | string)[];
  more: boolean;
  min?: number | string | null;
  max?: number | string | null;
}

export interface RejectedRow {
  line: number;
  reason: string;
}

export interface ImportResult {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: RejectedRow[];
  attributes: { key: string; type: AttributeType }[];
}

export interface ImportStatus {
  state: 'running' | 'done' | 'failed';
  bytes: number;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

const survey = (id: string) => `/api/v1/surveys/${encodeURIComponent(id)}`;

function memberSearch(query: MemberQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '' && value !== false) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The console's calls to the HTTP API (docs/api.md). */
export const api = {
  me: () => requestJson<{ user: User }>('GET', '/api/v1/me').then((r) => r.user),
  signIn: (email: string, password: string) =>
    requestJson<{ user: User }>('POST', '/api/v1/session', { body: { email, password } }).then((r) => r.user),
  signOut: () => requestJson<void>('DELETE', '/api/v1/session'),
  changePassword: (current: string, password: string) =>
    requestJson<void>('POST', '/api/v1/me/password', { body: { current, password } }),

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

  members: (query: MemberQuery) => requestJson<MemberPage>('GET', `/api/v1/members${memberSearch(query)}`),
  member: (externalId: string) =>
    requestJson<{ member: Member }>('GET', `/api/v1/members/${encodeURIComponent(externalId)}`).then(
      (r) => r.member,
    ),
  attributes: (values?: number) =>
    requestJson<{ attributes: AttributeEntry[] }>(
      'GET',
      `/api/v1/member-attributes${values ? `?values=${values}` : ''}`,
    ).then((r) => r.attributes),
  importStatus: (token: string) =>
    requestJson<{ import: ImportStatus }>('GET', `/api/v1/member-imports/${encodeURIComponent(token)}`).then(
      (r) => r.import,
    ),
  countSegment: (expression: string) =>
    requestJson<{ count: number }>('POST', '/api/v1/segments/count', { body: { expression } }).then(
      (r) => r.count,
    ),

  users: () => requestJson<{ users: User[] }>('GET', '/api/v1/users').then((r) => r.users),
  addUser: (input: { email: string; name?: string; role: Role; client?: string }) =>
    requestJson<{ user: User; password: string }>('POST', '/api/v1/users', { body: input }),
  updateUser: (id: string, input: { disabled?: boolean }) =>
    requestJson<{ user: User }>('PATCH', `/api/v1/users/${encodeURIComponent(id)}`, { body: input }).then(
      (r) => r.user,
    ),
};
