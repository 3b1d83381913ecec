import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';

/** How an invitation reaches the member: a message, or a listing in the member portal. */
export type Channel = 'email' | 'portal';

/** An invitation's current status; it only moves forward (see docs/distribution.md). */
export type InvitationStatus =
  | 'invited'
  | 'sent'
  | 'send_failed'
  | 'opened'
  | 'started'
  | 'completed'
  | 'screened_out'
  | 'quota_full';

export type EventType = InvitationStatus | 'reminded' | 'opted_out';

export type WaveStatus = 'creating' | 'ready' | 'failed';

export interface WaveInput {
  surveyId: string;
  /** A segment expression (`all` for every member). */
  segment: string;
  /** Default `email`. */
  channel?: Channel;
  /** ISO 8601 instant; default now. Messages and portal listing start then. */
  startAt?: string;
  /** ISO 8601 instant after which the invitation is no longer offered or reminded. */
  deadline?: string | null;
  /** Reminder offsets after the start, e.g. `3d,7d` (units m, h, d, w); each is one reminder. */
  reminders?: string;
  name?: string | null;
  /** LiquidJS templates; the default invitation text when absent. */
  subject?: string;
  body?: string;
  /** `text` (default; an HTML part is made from it) or `html`. */
  format?: 'text' | 'html';
  /**
   * An external survey engine's address with `{token}` exactly once (http or https): members are
   * sent there instead of the hub's survey page, and the engine reports back through signed return
   * links (see docs/external-engines.md). Null or absent: the hub renders the survey.
   */
  externalUrl?: string | null;
  /** Who creates it (`user:…`, `apikey:…`, `cli`). */
  actor: string;
}

export interface Wave {
  id: string;
  surveyId: string;
  name: string | null;
  segment: string;
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
  status: WaveStatus;
  invited: number;
  error: string | null;
  createdAt: string;
  createdBy: string | null;
  /** The external engine's address template, or null when the hub renders the survey. */
  externalUrl: string | null;
}

export type StatusCounts = Record<InvitationStatus, number>;

export interface WaveProgress {
  wave: Wave;
  /** Invitations by current status. */
  byStatus: StatusCounts;
  /**
   * Invitations opened, by the `?ch=` of their first visit, counted by CURRENT status (a funnel):
   * `opened` every invitation opened through that channel, whatever came after; `started` those
   * now started or finished (completed, screened out, quota full: they all got past opening);
   * `completed` those now completed. Not events: compare with `overTime`.
   */
  byChannel: { channel: string; opened: number; started: number; completed: number }[];
  /** Members of this wave who opted out since. */
  optedOut: number;
  /**
   * First messages of this wave held for quota (outbox status `held`): their members, still
   * `invited`, can only end quota_full now; they go out if a limit change makes room.
   */
  heldForQuota: number;
  /**
   * Why messages could not be sent: the `send_failed` events of this wave (first messages and
   * reminders, so one member may count twice) by the reason recorded in their detail (e.g. `the
   * member has no e-mail address`, or the SMTP server's answer), most frequent first.
   */
  failures: { reason: string; count: number }[];
  /**
   * Per UTC day, the EVENTS recorded that day: `sent` counts messages that went out (first ones
   * and reminders), `reminded` reminders decided, `opened` first visits, `started` first partial
   * saves, `completed`/`screenedOut`/`quotaFull` outcomes. A member who answers in one sitting
   * (or on an external engine) has no partial save, so no `started` event: the sum of `started`
   * here may be below `byChannel`'s `started`, which counts everyone now past opening.
   */
  overTime: {
    date: string;
    sent: number;
    opened: number;
    started: number;
    completed: number;
    screenedOut: number;
    quotaFull: number;
    reminded: number;
  }[];
}

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
  /** `held`: a first message waiting for quota room (the member can only end quota_full now). */
  status: 'queued' | 'sending' | 'sent' | 'failed' | 'cancelled' | 'held';
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  messageId: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface OutboxQuery {
  waveId?: string;
  status?: OutboxMessage['status'];
  /** Page size 1–500, default 50. */
  limit?: number;
  /** Id of the last message of the previous page (pages go newest first). */
  before?: number;
}

/** One open invitation as the member portal shows it. */
export interface PortalSurvey {
  surveyId: string;
  title: string;
  link: string;
  deadline: string | null;
  estimatedMinutes: number | null;
  status: InvitationStatus;
  invitedAt: string;
}

/** What one `sendDue` call did. */
export interface SendReport {
  sent: number;
  retried: number;
  failed: number;
  /** Not sent: the member opted out, or (reminders) answered meanwhile. */
  cancelled: number;
  /** First messages not sent now: the member can only end quota_full; kept `held` in the outbox. */
  held: number;
}

/** What one `runReminders` call did. */
export interface ReminderReport {
  /** Reminders recorded and queued, per wave id. */
  reminded: Record<string, number>;
}

/**
 * Decides a completion's outcome inside the completion's transaction (e.g. quotas reserve a slot
 * there). The default answers `completed`; `quota_full` turns the completion into a quota-full.
 * Called for completions answered on the hub's page and for an external engine's `complete`
 * return link; the latter has no answers and answered no version of the hub (`data` and
 * `versionId` null), so conditions on answers cannot be judged.
 */
export type CompletionHook = (
  trx: Kysely<Database>,
  input: {
    surveyId: string;
    /** The version answered; null for an external engine's completion. */
    versionId: number | null;
    invitationId: number | null;
    memberId: string | null;
    /** The validated answers; null when the hub has none (an external engine's completion). */
    data: Record<string, unknown> | null;
  },
) => Promise<'completed' | 'quota_full'>;

/** What an external engine reports at the end: the `:outcome` of a return link. */
export type ReturnOutcome = 'complete' | 'screenout' | 'quotafull';

/**
 * What an external engine needs to send members back: the wave's HMAC key and the three return
 * URL templates, where the engine puts the member's token for `{token}` and
 * base64url(HMAC-SHA256(secret, `<token>.<outcome>`)) for `{sig}`.
 */
export interface ReturnLinks {
  waveId: string;
  externalUrl: string;
  /** The wave's signing key: give it to the engine, and to nobody else. */
  secret: string;
  complete: string;
  screenout: string;
  quotafull: string;
}

/** A return link recorded: the invitation's new status and what the page shows. */
export interface ReturnRecorded {
  outcome: ReturnOutcome;
  status: 'completed' | 'screened_out' | 'quota_full';
  surveyTitle: string;
}

/**
 * Where `/s/:token` of an external wave leads: to the engine (its first visit is recorded as
 * `opened`), or, once the engine has reported, to the outcome already recorded.
 */
export type ExternalEntry =
  | { kind: 'redirect'; url: string }
  | { kind: 'finished'; status: ReturnRecorded['status']; surveyTitle: string };
