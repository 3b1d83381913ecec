import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJobsFile } from '../../../src/batch/jobs-file.ts';
import { createBatchService } from '../../../src/batch/service.ts';
import type { BatchService } from '../../../src/batch/service-types.ts';
import type { Db } from '../../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../../src/kernel/index.ts';
import { dialects } from '../../helpers/db.ts';
import { batchTestDb } from '../helpers/batch-db.ts';
import { recordingLog } from './helpers/fakes.ts';
import { deadUrl, httpSink } from './helpers/http-sink.ts';
import { smtpSink } from './helpers/smtp-sink.ts';

const secret = 'hunter2-Secret-77';
const publicUrl = 'https://enquete.example.org';

describe.each(dialects())('notifications from runs on %s', (dialect) => {
  let db: Db;
  let clock: TestClock;
  let slack: Awaited<ReturnType<typeof httpSink>>;
  let hook: Awaited<ReturnType<typeof httpSink>>;
  let smtp: Awaited<ReturnType<typeof smtpSink>>;
  let service: BatchService | undefined;
  let log: ReturnType<typeof recordingLog>;
  let dir: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enquete-notify-'));
    db = await batchTestDb(dialect);
    clock = new TestClock('2026-03-01T10:00:00.000Z');
    [slack, hook, smtp] = await Promise.all([httpSink(), httpSink(), smtpSink()]);
    log = recordingLog();
    service = undefined;
  });
  afterEach(async () => {
    await service?.stop();
    await Promise.all([slack.close(), hook.close(), smtp.close()]);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function make(yaml: string, over: { smtpUrl?: string; hookUrl?: string } = {}) {
    const jobs = parseJobsFile(
      yaml
        .replaceAll('SLACK_URL', `${slack.url}/services/T1/B1`)
        .replaceAll('HOOK_URL', over.hookUrl ?? hook.url)
        .replaceAll('DIR', dir),
    );
    service = createBatchService({
      db,
      clock,
      ids: sequentialIds(),
      jobs,
      env: { JOB_TOKEN: secret },
      log,
      notifierContext: { publicUrl, smtpUrl: over.smtpUrl ?? smtp.url, retryDelaysMs: [20, 20] },
    });
    return service;
  }

  const three = `
notifiers:
  team: { type: slack, url: SLACK_URL }
  mail: { type: email, to: [ops@example.org], from: 'enquete <batch@example.org>' }
  hook: { type: webhook, url: HOOK_URL }
jobs:
  - name: flaky
    cmd: 'echo "using $TOKEN"; echo "step on $DATE"; test -f "$FLAG"'
    env: { TOKEN: '\${JOB_TOKEN}', FLAG: DIR/ok }
    retry: { attempts: 2, minBackoff: 5s }
    notify: [team, mail, hook]
`;

  it('tells Slack, e-mail and a webhook exactly once after the last attempt, and once on recovery', async () => {
    const batch = make(three);
    const { id } = await batch.startRun('flaky', { date: '20260228' });
    await batch.idle();
    expect((await batch.run(id)).status).toBe('queued');
    expect([slack.received.length, smtp.received.length, hook.received.length]).toEqual([0, 0, 0]);

    clock.set('2026-03-01T10:00:05.000Z');
    await batch.tick();
    await batch.idle();
    expect(await batch.run(id)).toMatchObject({ status: 'failed', attempt: 2, exitCode: 1 });
    // More ticks and idles later: still one of each.
    clock.set('2026-03-01T11:00:00.000Z');
    await batch.tick();
    await batch.idle();
    expect([slack.received.length, smtp.received.length, hook.received.length]).toEqual([1, 1, 1]);

    const tail = ['using ***', 'step on 20260228'];
    const link = `${publicUrl}/jobs/flaky?run=${id}`;
    const blocks = (slack.received[0]!.body as { blocks: Record<string, unknown>[] }).blocks;
    expect(blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '❌ flaky 20260228 failed', emoji: true },
    });
    expect(blocks).toContainEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '```\nusing ***\nstep on 20260228\n```' },
    });
    expect(JSON.stringify(blocks)).toContain(`"url":"${link}"`);
    expect(smtp.received[0]!.subject).toBe(
      `[enquete] flaky 20260228 failed after 2 attempts: exit code 1 (run ${id})`,
    );
    expect(smtp.received[0]!.to).toEqual(['ops@example.org']);
    expect(smtp.received[0]!.text).toContain('\nLast lines of the log:\n  using ***\n  step on 20260228\n');
    expect(smtp.received[0]!.text).toContain(`Open in the console: ${link}\n`);
    expect(hook.received[0]!.body).toMatchObject({
      type: 'batch.run.failed',
      runId: id,
      logTail: tail,
      url: link,
    });
    const everything = JSON.stringify([slack.received, smtp.received, hook.received]);
    expect(everything).not.toContain(secret);

    // With its flag present the job succeeds: one recovery notice each, then nothing.
    writeFileSync(join(dir, 'ok'), '');
    const ok = await batch.startRun('flaky', { date: '20260301' });
    await batch.idle();
    const again = await batch.startRun('flaky', { date: '20260302' });
    await batch.idle();
    expect((await batch.run(ok.id)).status).toBe('succeeded');
    expect((await batch.run(again.id)).status).toBe('succeeded');
    expect([slack.received.length, smtp.received.length, hook.received.length]).toEqual([2, 2, 2]);
    expect(slack.received[1]!.body).toMatchObject({ text: `flaky 20260301 succeeded again (run ${ok.id})` });
    expect(smtp.received[1]!.subject).toBe(`[enquete] flaky 20260301 succeeded again (run ${ok.id})`);
    expect(hook.received[1]!.body).toMatchObject({ kind: 'recovered', runId: ok.id });
  });

  it('finishes runs while a notifier hangs, and delivers once it answers', async () => {
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const calls: string[] = [];
    const slow = createServer((req, res) => {
      req.resume();
      calls.push(req.url ?? '');
      void answered.then(() => res.end('ok'));
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const port = (slow.address() as { port: number }).port;
    try {
      const batch = make(
        `
notifiers:
  hook: { type: webhook, url: HOOK_URL }
jobs:
  - { name: broken, cmd: 'exit 3', notify: hook }
  - { name: fine, cmd: 'echo fine' }
`,
        { hookUrl: `http://127.0.0.1:${port}/slow` },
      );
      const broken = await batch.startRun('broken', { date: '20260301' });
      for (let i = 0; i < 200 && (await batch.run(broken.id)).status !== 'failed'; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect((await batch.run(broken.id)).status).toBe('failed');
      for (let i = 0; i < 200 && calls.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(calls).toEqual(['/slow']);
      // The notice is still unanswered; another run goes through all the same.
      const fine = await batch.startRun('fine', { date: '20260301' });
      for (let i = 0; i < 200 && (await batch.run(fine.id)).status !== 'succeeded'; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect((await batch.run(fine.id)).status).toBe('succeeded');
      answer();
      await batch.idle();
      expect(calls).toEqual(['/slow']);
    } finally {
      answer();
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });

  it('gives up on a notifier that is down after bounded retries, logged, the run unaffected', async () => {
    const batch = make(
      `
notifiers:
  hook: { type: webhook, url: HOOK_URL }
  mail: { type: email, to: ops@example.org }
jobs:
  - { name: broken, cmd: 'exit 3', notify: [hook, mail] }
`,
      { hookUrl: `${await deadUrl()}/token-xyz`, smtpUrl: '' },
    );
    const { id } = await batch.startRun('broken', { date: '20260301' });
    await batch.idle();
    expect(await batch.run(id)).toMatchObject({ status: 'failed', exitCode: 3 });
    const given = log.lines.filter((l) => l.msg === 'notification not delivered; giving up');
    expect(
      given.map((l) => [(l.obj as { notifier: string }).notifier, (l.obj as { attempt: number }).attempt]),
    ).toEqual(
      expect.arrayContaining([
        ['hook', 3],
        ['mail', 1],
      ]),
    );
    expect(given).toHaveLength(2);
    expect(JSON.stringify(log.lines)).not.toContain('token-xyz');
    expect(log.lines.some((l) => l.msg?.startsWith('e-mail notifier without an SMTP server'))).toBe(true);
  });

  it('holds notices beyond the rate limit and sends them as one digest, each run told once', async () => {
    const batch = make(`
notifiers:
  hook: { type: webhook, url: HOOK_URL, rateLimit: { max: 1, per: 1h } }
jobs:
  - { name: broken, cmd: 'exit 4', notify: hook }
`);
    const ids: string[] = [];
    for (const date of ['20260301', '20260302', '20260303']) {
      ids.push((await batch.startRun('broken', { date })).id);
      await batch.idle();
    }
    expect(hook.received.map((r) => (r.body as { type: string }).type)).toEqual(['batch.run.failed']);
    await batch.stop();
    service = undefined;
    expect(hook.received.map((r) => (r.body as { type: string }).type)).toEqual([
      'batch.run.failed',
      'batch.digest',
    ]);
    const digest = hook.received[1]!.body as { text: string; events: { runId: string }[]; omitted: number };
    expect(digest.text).toBe('2 batch notifications held back by the rate limit of hook');
    expect(digest.omitted).toBe(0);
    const told = [(hook.received[0]!.body as { runId: string }).runId, ...digest.events.map((e) => e.runId)];
    expect(told).toEqual(ids);
  });
});
