import { afterEach, describe, expect, it } from 'vitest';
import type { BatchEvent } from '../../src/batch/notifiers/notifier.ts';
import { WebhookNotifier } from '../../src/batch/notifiers/webhook-notifier.ts';
import { webhookServer } from './helpers/webhook-server.ts';

const event: BatchEvent = {
  kind: 'failed',
  job: 'warehouse',
  runId: 'run_1',
  date: '20260301',
  trigger: 'schedule',
  attempts: 1,
  exitCode: 2,
  error: null,
  at: '2026-03-01T10:00:00.000Z',
};

describe('webhook notifier', () => {
  let server: Awaited<ReturnType<typeof webhookServer>>;
  afterEach(() => server.close());

  it('posts the event as JSON once', async () => {
    server = await webhookServer();
    await new WebhookNotifier({ name: 'ops', url: `${server.url}/in` }).notify(event);
    expect(server.received).toHaveLength(1);
    expect(server.received[0]!.body).toEqual({
      type: 'batch.run.failed',
      text: 'warehouse 20260301 failed after 1 attempt: exit code 2 (run run_1)',
      ...event,
    });
  });

  it('retries 5xx and 429 answers, then delivers', async () => {
    server = await webhookServer([503, 429]);
    await new WebhookNotifier({ name: 'ops', url: server.url, retryDelaysMs: [10, 10] }).notify(event);
    expect(server.received).toHaveLength(3);
  });

  it('gives up at once on a 4xx answer, naming the notifier but not the URL', async () => {
    server = await webhookServer([404]);
    const hook = new WebhookNotifier({
      name: 'ops',
      url: `${server.url}/secret-token`,
      retryDelaysMs: [10, 10],
    });
    await expect(hook.notify(event)).rejects.toMatchObject({
      code: 'BATCH_NOTIFY_FAILED',
      message: 'notifier ops: answered 404',
    });
    expect(server.received).toHaveLength(1);
  });

  it('gives up after the last retry when nobody answers', async () => {
    server = await webhookServer();
    const url = server.url;
    await server.close();
    server = await webhookServer();
    const hook = new WebhookNotifier({ name: 'ops', url, retryDelaysMs: [10] });
    await expect(hook.notify(event)).rejects.toMatchObject({ code: 'BATCH_NOTIFY_FAILED' });
  });
});
