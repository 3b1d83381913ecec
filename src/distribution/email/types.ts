import type { Clock } from '../../kernel/index.ts';

/** A message template as a wave stores it. `body` is plain text (default) or HTML. */
export interface MessageTemplate {
  subject: string;
  body: string;
  format?: 'text' | 'html';
}

/** An attribute value as the panel hands it out: numbers, texts, dates as YYYY-MM-DD, lists. */
export type TemplateAttribute = number | string | string[] | boolean | null;

/** The values a template sees. Nothing else is visible to it. */
export interface MessageVars {
  member: {
    name: string | null;
    email: string | null;
    externalId: string;
    attributes: Record<string, TemplateAttribute>;
  };
  survey: {
    title: string;
    /** Estimated minutes to answer, or null when unknown. */
    minutes: number | null;
    /** IANA time zone the `date` filter shows instants in (default `UTC`). */
    timeZone?: string;
  };
  /** The member's personal survey link. */
  link: string;
  /** ISO instant of the deadline, or null when the survey has none. */
  deadline: string | null;
  unsubscribe_url: string;
}

/** A rendered message: both parts are always present (one is derived from the other). */
export interface RenderedMessage {
  /** One line: newlines of the rendered subject become spaces. */
  subject: string;
  text: string;
  html: string;
}

export interface OutgoingMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Extra header fields, e.g. {@link unsubscribeHeaders}. */
  headers?: Record<string, string>;
  /** Message-ID to use (with or without angle brackets); generated when absent. */
  messageId?: string;
}

/**
 * What became of one message. `temporary`: worth retrying later (4xx replies, connection trouble,
 * timeouts, a refused login). `permanent`: the server refused this message for good (5xx) or the
 * message itself is unusable (bad address or header); retrying it changes nothing.
 */
export type SendOutcome =
  | { status: 'sent'; messageId: string; response: string }
  | { status: 'temporary'; error: string; code?: number }
  | { status: 'permanent'; error: string; code?: number };

export interface Mailer {
  /** Sends one message; never throws for a failed delivery, it answers the outcome instead. */
  send(message: OutgoingMessage): Promise<SendOutcome>;
  /** Connects (and logs in) once; throws `EMAIL_SMTP_UNAVAILABLE` when that fails. */
  verify(): Promise<void>;
  /** Waits for the sends in progress, then closes the connections. */
  close(): Promise<void>;
}

export interface MailerOptions {
  /** `smtp://[user:pass@]host[:port]` (STARTTLS when offered) or `smtps://…` (TLS from the start). */
  smtpUrl: string;
  /** Reuse connections (default true); false opens one connection per message. */
  pool?: boolean;
  /** Connections the pool keeps open at most (default 5). */
  maxConnections?: number;
  /** At most `messages` sends start in any `perMs` milliseconds. Unlimited when absent. */
  rate?: { messages: number; perMs: number };
  /** The sender, e.g. `"Research panel" <panel@example.org>`. */
  from: string;
  clock?: Clock;
  /** How the rate limiter waits; tests pass one that moves a test clock. */
  sleep?: (ms: number) => Promise<void>;
  /** Connection, greeting and socket inactivity timeout in ms (default 30,000). */
  timeoutMs?: number;
}
