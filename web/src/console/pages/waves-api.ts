import { requestJson } from '../../shared/api-client.ts';

// Mirrors of src/distribution/types.ts (the console imports nothing from src/).

export type Channel = 'email' | 'portal';

export type InvitationStatus =
  | 'invited'
  | 'sent'
  | 'send_failed'
  | 'opened'
  | 'started'
  | 'completed'
  | 'screened_out'
  | 'quota_full';

export interface Wave {
  id: string;
  surveyId: string;
  name: string | null;
  /** Null for client users: a segment may name members. */
  segment: string | null;
  channel: Channel;
  startAt: string;
  deadline: string | null;
  /** Offsets as written, e.g. `['3d', '7d']`. */
  reminders: string[];
  remindersDone: number;
  subject: string;
  body: string;
  format: 'text' | 'html';
  estimatedMinutes: number | null;
  status: 'creating' | 'ready' | 'failed';
  invited: number;
  error: string | null;
  createdAt: string;
  createdBy: string | null;
  /** Where the message's link leads when the survey runs elsewhere; absent from older servers. */
  externalUrl?: string | null;
}

export interface OverTimeDay {
  date: string;
  sent: number;
  opened: number;
  started: number;
  completed: number;
  screenedOut: number;
  quotaFull: number;
  reminded: number;
}

export interface WaveProgress {
  wave: Wave;
  byStatus: Record<InvitationStatus, number>;
  byChannel: { channel: string; opened: number; started: number; completed: number }[];
  optedOut: number;
  /** First messages held for quota (the members are still invited); absent from older servers. */
  heldForQuota?: number;
  /** Per UTC day: how many invitations reached each milestone that day. */
  overTime: OverTimeDay[];
}

export interface WaveInput {
  surveyId: string;
  segment: string;
  channel?: Channel;
  startAt?: string;
  deadline?: string | null;
  reminders?: string;
  name?: string;
  subject?: string;
  body?: string;
  format?: 'text' | 'html';
  externalUrl?: string | null;
}

/** What an external engine needs to send its respondents back (waves with an external URL). */
export interface ReturnLinks {
  waveId: string;
  externalUrl: string;
  secret: string;
  complete: string;
  screenout: string;
  quotafull: string;
}

export interface WaveCreated {
  wave: Wave;
  invited: number;
  alreadyInvited: number;
  /** Of those invited, members without an e-mail address (an e-mail wave cannot reach them). */
  withoutEmail: number;
  returnLinks?: ReturnLinks | null;
}

/** `held`: a first message waiting for quota room (its member can only end quota_full now). */
export type OutboxStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'cancelled' | 'held';
export const outboxStatuses: OutboxStatus[] = ['queued', 'sending', 'sent', 'failed', 'cancelled', 'held'];

export interface OutboxMessage {
  id: number;
  waveId: string;
  invitationId: number;
  kind: 'invitation' | 'reminder';
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  messageId: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface OutboxQuery {
  waveId?: string;
  status?: OutboxStatus;
  limit?: number;
  before?: number;
}

export interface OutboxCounts {
  counts: Record<string, number>;
  /** False: SMTP is not configured and messages stay in the outbox. */
  sending: boolean;
}

export interface QuotaCell {
  id: string;
  label: string;
  /** A segment expression on the member's attributes. */
  memberCondition: string | null;
  /** A SurveyJS expression on the answers. */
  answerCondition: string | null;
  limit: number;
  count: number;
  full: boolean;
}

export interface Quota {
  id: string;
  name: string;
  cells: QuotaCell[];
}

export interface QuotaInput {
  name: string;
  cells: { label: string; memberCondition?: string; answerCondition?: string; limit: number }[];
}

function search(params: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

const wave = (id: string) => `/api/v1/waves/${encodeURIComponent(id)}`;
const surveyQuotas = (surveyId: string) => `/api/v1/surveys/${encodeURIComponent(surveyId)}/quotas`;

/** The console's calls to the distribution API: waves, their progress, the outbox, quotas. */
export const wavesApi = {
  waves: (surveyId?: string) =>
    requestJson<{ waves: Wave[] }>('GET', `/api/v1/waves${search({ surveyId })}`).then((r) => r.waves),
  wave: (id: string) => requestJson<{ wave: Wave }>('GET', wave(id)).then((r) => r.wave),
  progress: (id: string) => requestJson<WaveProgress>('GET', `${wave(id)}/progress`),
  create: (input: WaveInput) => requestJson<WaveCreated>('POST', '/api/v1/waves', { body: input }),

  outbox: (query: OutboxQuery) =>
    requestJson<{ messages: OutboxMessage[]; next: number | null }>(
      'GET',
      `/api/v1/outbox${search({ waveId: query.waveId, status: query.status, limit: query.limit, before: query.before })}`,
    ),
  outboxCounts: (waveId?: string) =>
    requestJson<OutboxCounts>('GET', `/api/v1/outbox/counts${search({ waveId })}`),

  quotas: (surveyId: string) =>
    requestJson<{ quotas: Quota[] }>('GET', surveyQuotas(surveyId)).then((r) => r.quotas),
  createQuota: (surveyId: string, input: QuotaInput) =>
    requestJson<{ quota: Quota }>('POST', surveyQuotas(surveyId), { body: input }),
  setCellLimit: (quotaId: string, cellId: string, limit: number) =>
    requestJson<unknown>(
      'PATCH',
      `/api/v1/quotas/${encodeURIComponent(quotaId)}/cells/${encodeURIComponent(cellId)}`,
      { body: { limit } },
    ),
};

/**
 * The invitation text a wave uses when it names none (src/distribution/email/default-templates.ts,
 * English): shown in the new-wave form; sent only when it is changed.
 */
export const defaultInvitation = {
  subject: 'Invitation: {{ survey.title }}',
  body: `Dear {{ member.name | default: "panel member" }},

You are invited to take part in the survey "{{ survey.title }}".
{%- if survey.minutes %} It takes about {{ survey.minutes }} minutes.{% endif %}

Start here: {{ link }}
{%- if deadline %}

Please answer by {{ deadline | date: "%B %-d, %Y %H:%M (%Z)" }}.
{%- endif %}

Thank you for your help.

--
You receive this message as a member of our research panel.
To stop receiving invitations: {{ unsubscribe_url }}
`,
};

/** An instant as the browser's locale writes it. */
export function formatInstant(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** The console path of a wave. */
export function wavePath(id: string): string {
  return `/waves/${encodeURIComponent(id)}`;
}
