import { postJson } from './delivery.ts';
import type { Channel, Notice } from './notifier.ts';
import { slackPayload } from './slack-payload.ts';

export interface SlackChannelProps {
  name: string;
  /** The incoming webhook, `https://hooks.slack.com/services/…` (a secret: keep it in `${NAME}`). */
  url: string;
  /** Base of the console link (ENQUETE_PUBLIC_URL); without it the message has no button. */
  publicUrl?: string | null;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * Slack through an incoming webhook: one Block Kit message per notice (see `slackPayload`).
 * Slack answers 429 with `Retry-After` when a channel gets too much; the queue honours it.
 *
 * @example
 * const slack = new SlackChannel({ name: 'team', url: process.env.SLACK_HOOK!, publicUrl: 'https://enquete.example.org' });
 * await slack.send({ kind: 'event', event });
 */
export class SlackChannel implements Channel {
  readonly name: string;
  readonly #p: SlackChannelProps;

  constructor(props: SlackChannelProps) {
    this.name = props.name;
    this.#p = props;
  }

  send(notice: Notice): Promise<void> {
    return postJson({
      notifier: this.name,
      url: this.#p.url,
      body: slackPayload(this.name, notice, this.#p.publicUrl ?? null),
      fetch: this.#p.fetch ?? fetch,
      timeoutMs: this.#p.timeoutMs ?? 10_000,
    });
  }
}
