import type { NotifierDefinition } from '../jobs-file.ts';
import type { Notifier } from './notifier.ts';
import { WebhookNotifier } from './webhook-notifier.ts';

/**
 * Builds the notifiers declared under `notifiers:` in jobs.yaml (secrets already resolved).
 *
 * @example
 * const notifiers = createNotifiers(resolved.notifiers);
 */
export function createNotifiers(
  definitions: Record<string, NotifierDefinition>,
  opts: { fetch?: typeof fetch } = {},
): Record<string, Notifier> {
  const out: Record<string, Notifier> = {};
  for (const [name, d] of Object.entries(definitions)) {
    switch (d.type) {
      case 'webhook':
        out[name] = new WebhookNotifier({ name, url: d.url, headers: d.headers, fetch: opts.fetch });
        break;
    }
  }
  return out;
}
