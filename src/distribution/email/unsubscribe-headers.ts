import { emailErrors } from './errors.ts';

/**
 * The header fields that let mail clients show an unsubscribe button and unsubscribe with one
 * click (RFC 2369 and RFC 8058): the client POSTs `List-Unsubscribe=One-Click` to the URL, so the
 * URL must be HTTPS (for RFC 8058 senders) and carry the member's unguessable token.
 *
 * @example
 * unsubscribeHeaders('https://enquete.example/u/3q2…');
 * // { 'List-Unsubscribe': '<https://enquete.example/u/3q2…>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
 */
export function unsubscribeHeaders(url: string): Record<string, string> {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || /[\s<>,]/.test(url)) {
    throw emailErrors.unsubscribeUrlInvalid(url);
  }
  return { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}
