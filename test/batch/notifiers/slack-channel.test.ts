import { afterEach, describe, expect, it } from 'vitest';
import { SlackChannel } from '../../../src/batch/notifiers/slack-channel.ts';
import { logBlockText, slackPayload } from '../../../src/batch/notifiers/slack-payload.ts';
import { failedEvent } from './helpers/events.ts';
import { httpSink } from './helpers/http-sink.ts';

describe('Slack channel', () => {
  let sink: Awaited<ReturnType<typeof httpSink>>;
  afterEach(() => sink?.close());

  it('posts a Block Kit message to the incoming webhook: fields, error, masked log lines, link', async () => {
    sink = await httpSink();
    const slack = new SlackChannel({
      name: 'team',
      url: `${sink.url}/services/T000/B000/XXXX`,
      publicUrl: 'https://enquete.example.org',
    });
    await slack.send({ kind: 'event', event: failedEvent({ logTail: ['step 1 <ok>', 'token=*** & done'] }) });
    expect(sink.received).toHaveLength(1);
    expect(sink.received[0]!.url).toBe('/services/T000/B000/XXXX');
    expect(sink.received[0]!.headers['content-type']).toBe('application/json');
    expect(sink.received[0]!.body).toEqual({
      text: 'warehouse 20260301 failed after 3 attempts: exit code 2 (run run_1)',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '❌ warehouse 20260301 failed', emoji: true } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Job*\n`warehouse`' },
            { type: 'mrkdwn', text: '*Date*\n`20260301`' },
            { type: 'mrkdwn', text: '*Attempts*\n3' },
            { type: 'mrkdwn', text: '*Exit code*\n2' },
            { type: 'mrkdwn', text: '*Trigger*\nschedule' },
            { type: 'mrkdwn', text: '*Run*\n`run_1`' },
          ],
        },
        { type: 'section', text: { type: 'plain_text', text: 'Error: exit code 2', emoji: true } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Last lines of the log' }] },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '```\nstep 1 &lt;ok&gt;\ntoken=*** &amp; done\n```' },
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Open in the console', emoji: true },
              url: 'https://enquete.example.org/jobs/warehouse?run=run_1',
              action_id: 'open-console',
            },
          ],
        },
      ],
    });
  });

  it('tells of a recovery without error or log, and has no button without a public URL', () => {
    const payload = slackPayload(
      'team',
      { kind: 'event', event: failedEvent({ kind: 'recovered', exitCode: 0, error: null, attempts: 1 }) },
      null,
    );
    expect(payload.text).toBe('warehouse 20260301 succeeded again (run run_1)');
    expect(payload.blocks.map((b) => b['type'])).toEqual(['header', 'section']);
    expect(payload.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '✅ warehouse 20260301 succeeded again', emoji: true },
    });
  });

  it('keeps the log block within 3000 characters, newest lines kept, fences unbreakable', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(2, '0')} ${'x'.repeat(400)}`);
    const text = logBlockText(lines)!;
    expect(text.length).toBeLessThanOrEqual(3000);
    // Each line is clipped to 300 characters (299 + …); 9 of them fit with the fences.
    const body = text.slice(4, -4).split('\n');
    expect(body).toHaveLength(9);
    expect(body[0]!.startsWith('31 ')).toBe(true);
    expect(body[8]!.startsWith('39 ')).toBe(true);
    expect(body[8]!.length).toBe(300);
    expect(logBlockText(['a```b'])).toBe('```\na`\u200b`\u200b`b\n```');
    expect(logBlockText([])).toBeNull();
  });

  it('lists a digest with its count and a link to the jobs page', () => {
    const events = [failedEvent({ runId: 'r1' }), failedEvent({ runId: 'r2', job: 'a<b>' })];
    const payload = slackPayload('team', { kind: 'digest', events, omitted: 4 }, 'https://e.example');
    expect(payload).toEqual({
      text: '6 batch notifications held back by the rate limit of team',
      blocks: [
        {
          type: 'header',
          text: {
            type: 'plain_text',
            text: '6 batch notifications held back by the rate limit of team',
            emoji: true,
          },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              '• warehouse 20260301 failed after 3 attempts: exit code 2 (run r1)\n' +
              '• a&lt;b&gt; 20260301 failed after 3 attempts: exit code 2 (run r2)\n' +
              '…and 4 more',
          },
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Open in the console', emoji: true },
              url: 'https://e.example/jobs',
              action_id: 'open-console',
            },
          ],
        },
      ],
    });
  });
});
