import type { BatchLog } from '../executor.ts';
import { EmailChannel, type MailTransport } from './email-channel.ts';
import type { Channel, Notifier } from './notifier.ts';
import { defaultRateLimit, type NotifierDefinition } from './notifier-definition.ts';
import { NotifierQueue, type QueueTimers } from './notifier-queue.ts';
import { SlackChannel } from './slack-channel.ts';
import { WebhookChannel } from './webhook-channel.ts';

/** What the notifiers need from the server's configuration and side effects. */
export interface NotifierContext {
  /** ENQUETE_PUBLIC_URL: the base of console links; none without it. */
  publicUrl?: string | null;
  /** SMTP_URL: the server e-mail notifiers use unless they name their own. */
  smtpUrl?: string;
  log?: BatchLog;
  fetch?: typeof fetch;
  timers?: QueueTimers;
  /** A mail transport instead of SMTP (e-mail notifiers). */
  mailTransport?: MailTransport;
  retryDelaysMs?: number[];
}

const quiet: BatchLog = { info: () => {}, warn: () => {}, error: () => {} };

/** The sender of notification mail when a notifier names none: `enquete@<host of the public URL>`. */
function defaultFrom(publicUrl: string | null | undefined): string {
  let host = 'localhost';
  try {
    if (publicUrl) host = new URL(publicUrl).hostname || host;
  } catch {
    // An unparsable public URL was refused by the configuration already; keep localhost.
  }
  return `enquete <enquete@${host}>`;
}

function channel(name: string, d: NotifierDefinition, ctx: NotifierContext): Channel {
  const publicUrl = ctx.publicUrl ?? null;
  switch (d.type) {
    case 'webhook':
      return new WebhookChannel({ name, url: d.url, headers: d.headers, publicUrl, fetch: ctx.fetch });
    case 'slack':
      return new SlackChannel({ name, url: d.url, publicUrl, fetch: ctx.fetch });
    case 'email':
      return new EmailChannel({
        name,
        to: d.to,
        from: d.from ?? defaultFrom(publicUrl),
        smtpUrl: d.smtpUrl ?? ctx.smtpUrl,
        publicUrl,
        transport: ctx.mailTransport,
      });
  }
}

/**
 * Builds the notifiers declared under `notifiers:` in jobs.yaml (secrets already resolved): each
 * one a channel (webhook, Slack, e-mail) behind its own rate limit and retry queue.
 *
 * @example
 * const notifiers = createNotifiers(resolved.notifiers, { publicUrl: config.publicUrl, smtpUrl: config.smtpUrl, log });
 */
export function createNotifiers(
  definitions: Record<string, NotifierDefinition>,
  ctx: NotifierContext = {},
): Record<string, Notifier> {
  const log = ctx.log ?? quiet;
  const out: Record<string, Notifier> = {};
  for (const [name, d] of Object.entries(definitions)) {
    if (d.type === 'email' && !d.smtpUrl && !ctx.smtpUrl) {
      log.warn(
        { notifier: name },
        'e-mail notifier without an SMTP server: set SMTP_URL; its mail is not sent',
      );
    }
    out[name] = new NotifierQueue({
      channel: channel(name, d, ctx),
      rateLimit: d.rateLimit ?? defaultRateLimit,
      log,
      timers: ctx.timers,
      retryDelaysMs: ctx.retryDelaysMs,
    });
  }
  return out;
}
