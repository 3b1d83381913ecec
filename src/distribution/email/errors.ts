import { EnqueteError } from '../../kernel/index.ts';

/** Where a template problem is: which part, and the 1-based line and column inside that part. */
export interface TemplatePlace {
  part: 'subject' | 'body';
  line: number;
  column: number;
}

function placed(code: string, place: TemplatePlace, message: string): EnqueteError {
  return new EnqueteError(
    code,
    'invalid',
    `${place.part} line ${place.line}, column ${place.column}: ${message}`,
    {
      details: { ...place, message },
    },
  );
}

/** The e-mail port's error catalogue. Messages never carry the SMTP password. */
export const emailErrors = {
  /** The template does not parse, names an unknown variable or filter, or breaks a limit. */
  templateInvalid: (place: TemplatePlace, message: string) =>
    placed('EMAIL_TEMPLATE_INVALID', place, message),
  /**
   * A valid template failed for one message's values, e.g. a member attribute that this member
   * lacks (guard it with `{% if %}` or `| default:`), or a render limit.
   */
  templateRenderFailed: (place: TemplatePlace, message: string) =>
    placed('EMAIL_TEMPLATE_RENDER_FAILED', place, message),
  timeZoneInvalid: (timeZone: string) =>
    new EnqueteError('EMAIL_TIME_ZONE_INVALID', 'invalid', `unknown time zone ${JSON.stringify(timeZone)}`, {
      details: { timeZone },
    }),
  /** `maskedUrl` has its password replaced by `***`. */
  smtpUrlInvalid: (maskedUrl: string, reason: string) =>
    new EnqueteError('EMAIL_SMTP_URL_INVALID', 'invalid', `SMTP URL ${maskedUrl}: ${reason}`, {
      details: { url: maskedUrl },
    }),
  fromInvalid: (from: string) =>
    new EnqueteError(
      'EMAIL_FROM_INVALID',
      'invalid',
      `sender ${JSON.stringify(from)} is not one e-mail address`,
    ),
  rateInvalid: (reason: string) => new EnqueteError('EMAIL_RATE_INVALID', 'invalid', `rate: ${reason}`),
  /**
   * `verify()` could not connect, greet or log in. `message` is already masked; the library's error
   * is not attached as the cause, so a logger cannot print what it holds.
   */
  smtpUnavailable: (maskedUrl: string, message: string, code: string | undefined) =>
    new EnqueteError('EMAIL_SMTP_UNAVAILABLE', 'unavailable', `SMTP server ${maskedUrl}: ${message}`, {
      details: { url: maskedUrl, code },
    }),
  unsubscribeUrlInvalid: (url: string) =>
    new EnqueteError(
      'EMAIL_UNSUBSCRIBE_URL_INVALID',
      'invalid',
      `unsubscribe URL ${JSON.stringify(url)} is not an http(s) URL without spaces, commas or angle brackets`,
    ),
  mailerClosed: () => new EnqueteError('EMAIL_MAILER_CLOSED', 'conflict', 'the mailer is closed'),
};
