import { createTransport } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import { systemClock } from '../../kernel/index.ts';
import { classifySendError } from './classify-error.ts';
import { emailErrors } from './errors.ts';
import { RateLimiter, timerSleep } from './rate-limiter.ts';
import { maskSecrets, parseSmtpUrl } from './smtp-url.ts';
import type { Mailer, MailerOptions, OutgoingMessage, SendOutcome } from './types.ts';

/** Header fields the mailer writes itself from the message's own fields. */
const reservedHeaders = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'subject',
  'message-id',
  'date',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);

function isOneAddress(text: string): boolean {
  const parsed = addressparser(text);
  return (
    parsed.length === 1 &&
    typeof parsed[0]!.address === 'string' &&
    /^[^@\s]+@[^@\s]+$/.test(parsed[0]!.address)
  );
}

/** Why a message cannot be sent at all, or null. Such a message fails permanently, never throws. */
function messageProblem(message: OutgoingMessage): string | null {
  if (typeof message.to !== 'string' || !isOneAddress(message.to)) {
    return `invalid recipient address ${JSON.stringify(message.to)}`;
  }
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!/^[!-9;-~]+$/.test(name)) return `invalid header name ${JSON.stringify(name)}`;
    if (reservedHeaders.has(name.toLowerCase())) return `header ${name} is set by the mailer`;
    if (typeof value !== 'string' || /[\r\n]/.test(value)) return `invalid value of header ${name}`;
  }
  return null;
}

/**
 * The SMTP adapter of the e-mail channel: nodemailer, pooled by default, with an optional rate
 * limit applied before the pool. `send` answers an outcome instead of throwing, so a wave records
 * `sent`, retries `temporary` and gives up on `permanent`. Nothing it says holds the SMTP password.
 *
 * @example
 * const mailer = createMailer({ smtpUrl: 'smtp://mail.example.org:587', from: 'Panel <panel@example.org>',
 *   rate: { messages: 50, perMs: 1_000 } });
 * const outcome = await mailer.send({ to: 'ken@example.org', subject, text, html,
 *   headers: unsubscribeHeaders(unsubscribeUrl) });
 * await mailer.close();
 */
export function createMailer(options: MailerOptions): Mailer {
  const target = parseSmtpUrl(options.smtpUrl);
  if (typeof options.from !== 'string' || !isOneAddress(options.from))
    throw emailErrors.fromInvalid(options.from);
  const maxConnections = options.maxConnections ?? 5;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw emailErrors.rateInvalid('maxConnections must be a whole number of at least 1');
  }
  const limiter = options.rate
    ? new RateLimiter({
        ...options.rate,
        clock: options.clock ?? systemClock,
        sleep: options.sleep ?? timerSleep,
      })
    : undefined;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const common = {
    url: target.url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // Messages are built from strings only: nothing may make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  };
  const defaults = { from: options.from };
  const transporter =
    options.pool === false
      ? createTransport(common, defaults)
      : createTransport({ ...common, pool: true as const, maxConnections }, defaults);
  const inFlight = new Set<Promise<SendOutcome>>();
  let closed = false;

  async function deliver(message: OutgoingMessage): Promise<SendOutcome> {
    try {
      if (limiter) await limiter.acquire();
      const info = await transporter.sendMail({
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html === undefined ? {} : { html: message.html }),
        ...(message.headers ? { headers: message.headers } : {}),
        ...(message.messageId ? { messageId: message.messageId } : {}),
      });
      return {
        status: 'sent',
        messageId: info.messageId,
        response: maskSecrets(info.response, target.secrets),
      };
    } catch (error) {
      return classifySendError(error, target.secrets);
    }
  }

  return {
    send(message) {
      if (closed) return Promise.reject(emailErrors.mailerClosed());
      const problem = messageProblem(message);
      if (problem) return Promise.resolve({ status: 'permanent', error: problem });
      const outcome = deliver(message);
      inFlight.add(outcome);
      void outcome.then(() => inFlight.delete(outcome));
      return outcome;
    },
    async verify() {
      try {
        await transporter.verify();
      } catch (error) {
        const failure = error as { message?: string; code?: string };
        const message = maskSecrets(failure.message ?? String(error), target.secrets);
        throw emailErrors.smtpUnavailable(target.masked, message, failure.code);
      }
    },
    async close() {
      closed = true;
      await Promise.all(inFlight);
      transporter.close();
    },
  };
}
