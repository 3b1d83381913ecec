import { postJson } from './delivery.ts';
import { type BatchEvent, type Channel, consoleLink, digestTitle, type Notice, summary } from './notifier.ts';

export interface WebhookChannelProps {
  name: string;
  url: string;
  headers?: Record<string, string>;
  /** Base of console links (ENQUETE_PUBLIC_URL); without it the payload has no `url`. */
  publicUrl?: string | null;
  /** `fetch` by default. */
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * The generic webhook: POSTs each event as JSON, `{type: "batch.run.failed" | "batch.run.recovered",
 * text, url, ...event}`, and a digest as `{type: "batch.digest", text, url, events, omitted}`.
 *
 * @example
 * const hook = new WebhookChannel({ name: 'ops', url: 'https://hooks.example.org/batch' });
 * await hook.send({ kind: 'event', event });
 */
export class WebhookChannel implements Channel {
  readonly name: string;
  readonly #p: WebhookChannelProps;

  constructor(props: WebhookChannelProps) {
    this.name = props.name;
    this.#p = props;
  }

  send(notice: Notice): Promise<void> {
    return postJson({
      notifier: this.name,
      url: this.#p.url,
      headers: this.#p.headers,
      body: this.payload(notice),
      fetch: this.#p.fetch ?? fetch,
      timeoutMs: this.#p.timeoutMs ?? 10_000,
    });
  }

  /** The JSON body for a notice. */
  payload(notice: Notice): Record<string, unknown> {
    const publicUrl = this.#p.publicUrl ?? null;
    if (notice.kind === 'digest') {
      return {
        type: 'batch.digest',
        text: digestTitle(this.name, notice),
        url: consoleLink(publicUrl) ?? undefined,
        events: notice.events.map((e) => ({ text: summary(e), ...e })),
        omitted: notice.omitted,
      };
    }
    const event: BatchEvent = notice.event;
    return {
      type: `batch.run.${event.kind}`,
      text: summary(event),
      url: consoleLink(publicUrl, event.job, event.runId) ?? undefined,
      ...event,
    };
  }
}
