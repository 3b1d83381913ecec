import { maskSecrets } from './smtp-url.ts';
import type { SendOutcome } from './types.ts';

/** The fields nodemailer puts on the errors it hands back. */
interface NodemailerFailure {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
}

/** Errors about the message itself: the same message would fail the same way on any server. */
const permanentCodes = new Set(['EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS', 'EFILEACCESS', 'EURLACCESS']);
/** Errors about the server or our account, not the message: retrying later (or after fixing the
 *  configuration) can deliver it, so they never mark an invitation failed for good. */
const accountCodes = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'ETLS', 'EREQUIRETLS']);

/**
 * Decides what a failed send means for the invitation:
 * - an SMTP reply 4yz (e.g. 421, 450, 451, 452) is temporary; 5yz (e.g. 550, 552, 553, 554) is
 *   permanent, except 503 (bad sequence: our session, not the message);
 * - a refused login or failed TLS is temporary whatever its reply code: it concerns every message
 *   and is fixed in the configuration, not by dropping members;
 * - connection refused or closed, DNS failures and timeouts are temporary;
 * - a message nodemailer refuses before sending (no valid recipient, bad content) is permanent.
 * Texts are masked: the SMTP password never appears in them.
 *
 * @example
 * classifySendError({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 No such user' }, []);
 * // { status: 'permanent', error: '550 5.1.1 No such user', code: 550 }
 */
export function classifySendError(
  error: unknown,
  secrets: readonly string[],
): Exclude<SendOutcome, { status: 'sent' }> {
  const failure: NodemailerFailure =
    typeof error === 'object' && error !== null ? error : { message: String(error) };
  const text = maskSecrets(failure.response || failure.message || String(error), secrets);
  const code = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  const withCode = code === undefined ? {} : { code };
  if (failure.code && accountCodes.has(failure.code))
    return { status: 'temporary', error: text, ...withCode };
  if (code !== undefined && code >= 400 && code < 600) {
    const permanent = code >= 500 && code !== 503;
    return { status: permanent ? 'permanent' : 'temporary', error: text, code };
  }
  if (failure.code && permanentCodes.has(failure.code))
    return { status: 'permanent', error: text, ...withCode };
  return { status: 'temporary', error: text, ...withCode };
}
