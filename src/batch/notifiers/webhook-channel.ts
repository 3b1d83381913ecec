import { batchError } from '../errors.ts';
import { type BatchEvent, type Notifier, summary } from './notifier.ts';

export interface WebhookNotifierProps {
  name: string;
  url: string;
  headers?: Record<string, string>;
  /** `fetch` by default. */
  fetch?: typeof fetch;
  /** Waits before the 2nd, 3rd… delivery attempt; the default tries three times over about 6 s. */
  retryDelaysMs?: number[];
  timeoutMs?: number;
}

/**
 * POSTs each event as JSON (`{type, text, ...event}`) to a URL. A 2xx answer is a delivery;
 * network errors, 429 and 5xx are retried; other answers fail at once.
 *
 * @example
 * const hook = new WebhookNotifier({ name: 'ops', url: 'https://hooks.example.org/batch' });
 * await hook.notify(event);
 */
export class WebhookNotifier implements Notifier {
  readonly name: string;
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof fetch;
  readonly #delays: number[];
  readonly #timeoutMs: number;

  constructor(props: WebhookNotifierProps) {
    this.name = props.name;
    this.#url = props.url;
    this.#headers = props.headers ?? {};
    this.#fetch = props.fetch ?? fetch;
    this.#delays = props.retryDelaysMs ?? [1_000, 5_000];
    this.#timeoutMs = props.timeoutMs ?? 10_000;
  }

  async notify(event: BatchEvent): Promise<void> {
    const body = JSON.stringify({ type: `batch.run.${event.kind}`, text: summary(event), ...event });
    let problem = '';
    for (let attempt = 0; attempt <= this.#delays.length; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.#delays[attempt - 1]));
      try {
        const res = await this.#fetch(this.#url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...this.#headers },
          body,
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        await res.arrayBuffer();
        if (res.ok) return;
        problem = `answered ${res.status}`;
        if (res.status !== 429 && res.status < 500) break;
      } catch (error) {
        problem = error instanceof Error ? error.message : String(error);
      }
    }
    // The URL may carry a token: name the notifier, not the URL.
    throw batchError('BATCH_NOTIFY_FAILED', `notifier ${this.name}: ${problem}`);
  }
}
