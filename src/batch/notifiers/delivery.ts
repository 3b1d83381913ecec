import { isEnqueteError } from '../../kernel/index.ts';
import { batchError } from '../errors.ts';

/**
 * A failed delivery attempt: BATCH_NOTIFY_FAILED naming the notifier (never its URL, which may
 * carry a token), retryable or not, with the wait the other side asked for when it said one.
 *
 * @example
 * throw deliveryFailed('ops', 'answered 503', { retryable: true });
 */
export function deliveryFailed(
  notifier: string,
  problem: string,
  opts: { retryable: boolean; retryAfterMs?: number; cause?: unknown },
): Error {
  return batchError('BATCH_NOTIFY_FAILED', `notifier ${notifier}: ${problem}`, {
    cause: opts.cause,
    details: { retryable: opts.retryable, retryAfterMs: opts.retryAfterMs },
  });
}

/** Whether a failed attempt is worth another one, and after how long the other side asked. */
export function retryAdvice(error: unknown): { retryable: boolean; retryAfterMs: number | undefined } {
  if (isEnqueteError(error) && error.code === 'BATCH_NOTIFY_FAILED') {
    const d = error.details ?? {};
    return {
      retryable: d['retryable'] === true,
      retryAfterMs: typeof d['retryAfterMs'] === 'number' ? d['retryAfterMs'] : undefined,
    };
  }
  // Anything unforeseen (a bug, a library error) is tried again: the attempts are bounded.
  return { retryable: true, retryAfterMs: undefined };
}

export interface PostJsonProps {
  notifier: string;
  url: string;
  body: unknown;
  headers?: Record<string, string>;
  fetch: typeof fetch;
  timeoutMs: number;
}

/**
 * POSTs JSON once. 2xx is a delivery; network errors, timeouts, 408, 429 and 5xx are retryable
 * (with `Retry-After` honoured); any other answer is final.
 *
 * @example
 * await postJson({ notifier: 'ops', url, body: { text: 'hi' }, fetch, timeoutMs: 10_000 });
 */
export async function postJson(p: PostJsonProps): Promise<void> {
  let res: Response;
  try {
    res = await p.fetch(p.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...p.headers },
      body: JSON.stringify(p.body),
      signal: AbortSignal.timeout(p.timeoutMs),
      redirect: 'error',
    });
    await res.arrayBuffer();
  } catch (cause) {
    const problem = cause instanceof Error && cause.name === 'TimeoutError' ? 'timed out' : 'unreachable';
    throw deliveryFailed(p.notifier, `${problem} (${describe(cause)})`, { retryable: true, cause });
  }
  if (res.ok) return;
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
  throw deliveryFailed(p.notifier, `answered ${res.status}`, {
    retryable,
    retryAfterMs: retryAfter(res.headers.get('retry-after')),
  });
}

/** `Retry-After` in seconds (the form Slack and most APIs send), as milliseconds; else undefined. */
function retryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  return undefined;
}

/** The error's own code or message without any URL (fetch puts the address in some messages). */
function describe(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>');
}
