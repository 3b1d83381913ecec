import type { Generated } from 'kysely';

/**
 * Table types for Kysely. Each table has one owning module (see DESIGN.md); other modules go
 * through the owner's index.ts. Timestamps are ISO 8601 UTC text; JSON documents are text.
 */
export interface Database {
  // auth/
  users: UsersTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  // surveys/
  surveys: SurveysTable;
  survey_versions: SurveyVersionsTable;
  // responses/
  responses: ResponsesTable;
  open_link_keys: OpenLinkKeysTable;
  // batch/
  batch_runs: BatchRunsTable;
  batch_run_logs: BatchRunLogsTable;
  batch_job_state: BatchJobStateTable;
  // panel/
  members: MembersTable;
  member_attributes: MemberAttributesTable;
  member_attribute_types: MemberAttributeTypesTable;
  // distribution/
  waves: WavesTable;
  invitations: InvitationsTable;
  distribution_events: DistributionEventsTable;
  distribution_outbox: DistributionOutboxTable;
  quotas: QuotasTable;
  quota_cells: QuotaCellsTable;
  portal_changes: PortalChangesTable;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string | null;
  password_hash: string;
  role: 'admin' | 'researcher' | 'client';
  client: string | null;
  created_at: string;
  disabled_at: string | null;
}

export interface SessionsTable {
  /** sha256 of the cookie token; the token itself is never stored. */
  id: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  ip: string | null;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  /** sha256 of the key; the key is shown once. */
  key_hash: string;
  /** First characters of the key, shown in lists so an operator can tell keys apart. */
  prefix: string;
  role: 'admin' | 'researcher' | 'client' | 'portal';
  client: string | null;
  created_at: string;
  created_by: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  /** `user:<id>`, `apikey:<id>`, `cli`, `system`. */
  actor: string;
  action: string;
  target: string | null;
  /** JSON object. */
  detail: string | null;
  ip: string | null;
}

export interface SurveysTable {
  id: string;
  title: string;
  client: string | null;
  timezone: string;
  /** Working copy (enquete survey document as JSON); edited freely until published as a version. */
  draft: string;
  draft_updated_at: string;
  /** Latest published version number, or null while never published. */
  current_version: number | null;
  /** 1 when `/o/:surveyId` hands out personal tokens. */
  open_link: number;
  /** 1 once closed: no new answers. */
  closed: number;
  created_at: string;
  created_by: string | null;
}

export interface SurveyVersionsTable {
  survey_id: string;
  version: number;
  /** Immutable enquete survey document (SurveyJS JSON plus enquete keys) as JSON. */
  definition: string;
  /** Codebook derived from the definition, JSON. */
  codebook: string;
  published_at: string;
  published_by: string | null;
}

export interface ResponsesTable {
  id: string;
  survey_id: string;
  version: number;
  /** The respondent's personal token (open link or, later, an invitation). Unique. */
  token: string;
  status: 'in_progress' | 'completed' | 'screened_out' | 'quota_full';
  /** Answers as codes, JSON object keyed by question name. */
  data: string;
  /** Index of the page the respondent was on at the last save. */
  page: number;
  /** Entry channel (`?ch=`): open, email, portal, import… */
  channel: string | null;
  started_at: string;
  updated_at: string;
  completed_at: string | null;
  /** Identifier from the source system for imported responses (e.g. the demo's respondent_id). */
  external_ref: string | null;
}

/** The HMAC key of a survey's open-link tokens (see responses/open-link-tokens.ts); never changes. */
export interface OpenLinkKeysTable {
  survey_id: string;
  secret: string;
  created_at: string;
}

export interface BatchRunsTable {
  id: string;
  job: string;
  /** The run's date, YYYYMMDD, in the job's time zone. */
  date: string;
  trigger: 'schedule' | 'manual' | 'backfill' | 'api';
  /** The cron instant this run fires (ISO UTC); null for manual, API and backfill runs. */
  scheduled_for: string | null;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';
  /** Attempts started so far (0 while first queued). */
  attempt: number;
  max_attempts: number;
  exit_code: number | null;
  /** Why the last attempt failed, was skipped or cancelled; secrets masked. */
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** When a queued run may start: its creation, or the end of a retry's backoff. */
  next_attempt_at: string | null;
  /**
   * While running: the last time the process running the attempt said it was alive. A run whose
   * heartbeat is older than the stale limit lost its process and is recovered.
   */
  heartbeat_at: string | null;
}

export interface BatchRunLogsTable {
  run_id: string;
  /** 1, 2, … per run, across attempts. */
  seq: number;
  at: string;
  stream: 'stdout' | 'stderr' | 'system';
  /** One line of output, secrets masked. */
  text: string;
}

export interface BatchJobStateTable {
  /** The job name, or '*' for the row that pauses every job. */
  job: string;
  paused: number;
  paused_reason: string | null;
  paused_at: string | null;
  /** The next cron instant after the last tick, for display. */
  next_due_at: string | null;
  /** The latest cron instant the scheduler has dealt with (fired or skipped by policy). */
  last_scheduled_for: string | null;
}

export interface MembersTable {
  /**
   * `mb_` and a random part; members added since migration 0013 have ids that sort by the time
   * they were made (`Ids.sortableId`), older ones keep their fully random ids.
   */
  id: string;
  /** The panel's own key for the member (the import's key column); unique. */
  external_id: string;
  email: string | null;
  name: string | null;
  /** JSON object of the member's attributes as imported text, keys sorted; typed on reading. */
  attributes: string;
  /** Set once by an opt-out and never cleared: segments exclude the member forever. */
  opted_out_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The attribute index segments query: one row per value, one per element of a list. */
export interface MemberAttributesTable {
  member_id: string;
  key: string;
  /** The value as text (ISO dates compare correctly as text). */
  text_value: string;
  /**
   * The value as a number when its text is one, else null. Only rows with a number are in the
   * (key, num_value) index: queries on it say `num_value is not null`.
   */
  num_value: number | null;
}

/** The type of each attribute key, fixed by the import that first brought it. */
export interface MemberAttributeTypesTable {
  key: string;
  type: 'number' | 'date' | 'text' | 'list';
  created_at: string;
  updated_at: string;
}

/** A wave: one survey sent to one segment through one channel from a start time. */
export interface WavesTable {
  id: string;
  survey_id: string;
  name: string | null;
  /** The segment expression as written. */
  segment: string;
  channel: 'email' | 'portal';
  start_at: string;
  /** No reminders, portal listing or first visits after it; null for none. */
  deadline: string | null;
  /** JSON array of reminder offsets after `start_at`, in milliseconds, ascending. */
  reminders: string;
  /** LiquidJS templates of the message. */
  subject: string;
  body: string;
  /** `text` (an HTML part is made from it) or `html`. */
  body_format: 'text' | 'html';
  estimated_minutes: number | null;
  /** `creating` while invitations are written, then `ready`; `failed` if creation stopped. */
  status: 'creating' | 'ready' | 'failed';
  invited: number;
  /** Invitation id up to which first messages were queued (email waves). */
  dispatch_cursor: number;
  /** When every first message was queued. */
  dispatched_at: string | null;
  /** Reminder rounds finished. */
  reminders_done: number;
  /** Invitation id up to which the current reminder round has gone. */
  reminder_cursor: number;
  error: string | null;
  created_at: string;
  created_by: string | null;
  /** An external engine's survey address with `{token}`; null when the hub renders the survey. */
  external_url: string | null;
  /** HMAC-SHA256 key of the wave's signed return links (external waves only); never shown in lists. */
  return_secret: string | null;
}

export interface InvitationsTable {
  id: Generated<number>;
  wave_id: string;
  survey_id: string;
  member_id: string;
  /** The respondent token (`/s/:token`) and unsubscribe token; unique, >= 128 bits. */
  token: string;
  channel: 'email' | 'portal';
  status:
    | 'invited'
    | 'sent'
    | 'send_failed'
    | 'opened'
    | 'started'
    | 'completed'
    | 'screened_out'
    | 'quota_full';
  invited_at: string;
  sent_at: string | null;
  opened_at: string | null;
  /** `?ch=` of the first visit. */
  opened_channel: string | null;
  started_at: string | null;
  /** When it became completed, screened_out or quota_full. */
  finished_at: string | null;
  reminders_sent: number;
  last_reminded_at: string | null;
}

export interface DistributionEventsTable {
  id: Generated<number>;
  invitation_id: number;
  type:
    | 'invited'
    | 'sent'
    | 'send_failed'
    | 'opened'
    | 'started'
    | 'completed'
    | 'screened_out'
    | 'quota_full'
    | 'reminded'
    | 'opted_out';
  channel: string | null;
  at: string;
  /** JSON object or null. */
  detail: string | null;
}

export interface DistributionOutboxTable {
  id: Generated<number>;
  invitation_id: number;
  wave_id: string;
  kind: 'invitation' | 'reminder';
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string;
  /** JSON object of extra headers (List-Unsubscribe, List-Unsubscribe-Post). */
  headers: string;
  /**
   * `sending` while a sender holds it (until `next_attempt_at`, its lease); `held`: a first
   * message waiting for quota room (not due until a limit change releases it, quota-holds.ts).
   */
  status: 'queued' | 'sending' | 'sent' | 'failed' | 'cancelled' | 'held';
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  message_id: string | null;
  created_at: string;
  sent_at: string | null;
}

/** A quota of a survey: a named set of cells. Its cells' conditions are fixed once written. */
export interface QuotasTable {
  id: string;
  survey_id: string;
  name: string;
  created_at: string;
  created_by: string | null;
}

/**
 * One quota cell. A completion falls in it when every condition it has matches (a cell without
 * conditions takes every completion); it then takes one of `max_completes` slots or, when none is
 * left, the completion ends `quota_full`.
 */
export interface QuotaCellsTable {
  id: string;
  quota_id: string;
  /** Order of the cell within its quota, from 0. */
  position: number;
  label: string;
  /** Segment expression on member attributes, as written; null for none. */
  member_condition: string | null;
  /** SurveyJS boolean expression on the answers, as written; null for none. */
  answer_condition: string | null;
  /** The limit; the only thing that may change after creation. */
  max_completes: number;
  /** Completes taken, moved only by the guarded update in the completion transaction. */
  completes: number;
}

/**
 * The portal cache's change feed, appended by triggers (migration 0012): one row per write that
 * may change what the portal lists. PostgreSQL rows also carry the writer's transaction id (`xid`).
 */
export interface PortalChangesTable {
  seq: Generated<number>;
  /** The member's external id; null: any member (a wave or survey changed). */
  member: string | null;
}
