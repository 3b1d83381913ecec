import { emailErrors } from './errors.ts';

/** An SMTP URL taken apart far enough to connect, and to speak of it without its password. */
export interface SmtpTarget {
  /** The URL as given, handed to nodemailer; never printed. */
  url: string;
  /** The URL with its password replaced by `***`: safe for logs, errors and answers. */
  masked: string;
  /** The password in every spelling it may show up in (as written and percent-decoded). */
  secrets: string[];
}

/**
 * The URL with its password replaced by `***`, also when the URL does not parse.
 *
 * @example
 * maskSmtpUrl('smtp://panel:s3cret@mail.example.org:587'); // 'smtp://panel:***@mail.example.org:587'
 */
export function maskSmtpUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return maskByHand(url);
  }
  // `scheme:user:pass@host` without `//` parses with the password inside an opaque path.
  if (parsed.host === '') return maskByHand(url);
  if (parsed.password === '') return url;
  parsed.password = '***';
  return parsed.href;
}

/**
 * For what URL refuses: masks whatever stands between the first `:` of the user part and the last
 * `@`, the place a password would be.
 */
function maskByHand(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/is.exec(url);
  if (!m) return url.includes('@') ? '***' : url;
  const rest = m[2]!;
  const at = rest.lastIndexOf('@');
  if (at < 0) return url;
  const colon = rest.indexOf(':');
  const user = colon >= 0 && colon < at ? rest.slice(0, colon) : rest.slice(0, at);
  return `${m[1]}${user}:***@${rest.slice(at + 1)}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Checks an `SMTP_URL`: `smtp://` (plain, upgraded with STARTTLS when the server offers it) or
 * `smtps://` (TLS from the first byte), a host, optionally a user, password and port, and the
 * query options nodemailer reads (e.g. `?requireTLS=true`). Throws `EMAIL_SMTP_URL_INVALID`.
 *
 * @example
 * parseSmtpUrl('smtps://panel:s3cret@mail.example.org:465').masked; // 'smtps://panel:***@mail.example.org:465'
 */
export function parseSmtpUrl(url: string): SmtpTarget {
  const masked = maskSmtpUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw emailErrors.smtpUrlInvalid(masked, 'not a URL');
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw emailErrors.smtpUrlInvalid(masked, 'must start with smtp:// or smtps://');
  }
  if (parsed.hostname === '') throw emailErrors.smtpUrlInvalid(masked, 'no host');
  const secrets = parsed.password === '' ? [] : [parsed.password, safeDecode(parsed.password)];
  return { url, masked, secrets: [...new Set(secrets)] };
}

/** Replaces every spelling of the password in a text by `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret !== '' && out.includes(secret)) out = out.split(secret).join('***');
  }
  return out;
}
