import { createTransport } from 'nodemailer';
import { deliveryFailed } from './delivery.ts';
import { emailMessage } from './email-message.ts';
import type { Channel, Notice } from './notifier.ts';

/** The part of a nodemailer transport the channel uses. */
export interface MailTransport {
  sendMail(mail: { from: string; to: string[]; subject: string; text: string }): Promise<unknown>;
}

export interface EmailChannelProps {
  name: string;
  to: string[];
  from: string;
  /** `smtp://user:pass@host:port` or `smtps://…`; undefined when none is configured. */
  smtpUrl: string | undefined;
  publicUrl?: string | null;
  /** A transport other than nodemailer's SMTP one built from `smtpUrl`. */
  transport?: MailTransport;
}

/** SMTP failures that a later attempt may get past: 4xx replies, lost or refused connections. */
function retryable(error: unknown): boolean {
  const e = error as { responseCode?: unknown; code?: unknown };
  if (typeof e.responseCode === 'number') return e.responseCode >= 400 && e.responseCode < 500;
  return !['EAUTH', 'EENVELOPE', 'EMESSAGE', 'EINVALIDADDRESS'].includes(String(e.code));
}

/**
 * E-mail through SMTP (nodemailer): one plain-text message per notice to every address in `to`.
 * Without an SMTP server (no SMTP_URL, no `smtpUrl`) every delivery fails at once, logged.
 *
 * @example
 * const mail = new EmailChannel({ name: 'ops', to: ['ops@example.org'], from: 'enquete@example.org', smtpUrl: 'smtp://127.0.0.1:25' });
 * await mail.send({ kind: 'event', event });
 */
export class EmailChannel implements Channel {
  readonly name: string;
  readonly #p: EmailChannelProps;
  readonly #transport: MailTransport | null;

  constructor(props: EmailChannelProps) {
    this.name = props.name;
    this.#p = props;
    this.#transport =
      props.transport ??
      (props.smtpUrl
        ? createTransport({
            url: props.smtpUrl,
            connectionTimeout: 10_000,
            greetingTimeout: 10_000,
            socketTimeout: 30_000,
          })
        : null);
  }

  async send(notice: Notice): Promise<void> {
    if (!this.#transport) {
      throw deliveryFailed(this.name, 'no SMTP server is configured (set SMTP_URL)', { retryable: false });
    }
    const { subject, text } = emailMessage(this.name, notice, this.#p.publicUrl ?? null);
    try {
      await this.#transport.sendMail({ from: this.#p.from, to: this.#p.to, subject, text });
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      throw deliveryFailed(this.name, message.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>'), {
        retryable: retryable(cause),
        cause,
      });
    }
  }
}
