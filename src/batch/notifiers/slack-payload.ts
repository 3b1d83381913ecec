import { type BatchEvent, consoleLink, digestTitle, type Notice, summary } from './notifier.ts';

/** Block Kit limits: section text 3000 characters, header 150, field 2000. */
const sectionMax = 3000;
const headerMax = 150;
const lineMax = 300;

type Block = Record<string, unknown>;

/** Slack's mrkdwn control characters; everything else shows as it is. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const plain = (text: string, max = sectionMax) => ({
  type: 'plain_text',
  text: clip(text, max),
  emoji: true,
});
const field = (label: string, value: string) => ({ type: 'mrkdwn', text: `*${label}*\n${value}` });
const code = (text: string) => `\`${escapeMrkdwn(text).replace(/`/g, "'")}\``;

/**
 * A code block of the last log lines that fits one section: lines are clipped, the oldest go
 * first when the whole is too long, and backtick runs cannot close the block early.
 */
export function logBlockText(lines: string[]): string | null {
  const kept: string[] = [];
  let size = 8; // the fences and their line breaks
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = escapeMrkdwn(clip(lines[i]!, lineMax)).replace(/```/g, '`\u200b`\u200b`');
    if (size + line.length + 1 > sectionMax) break;
    kept.unshift(line);
    size += line.length + 1;
  }
  return kept.length === 0 ? null : `\`\`\`\n${kept.join('\n')}\n\`\`\``;
}

function linkButton(url: string | null): Block[] {
  if (!url) return [];
  return [
    {
      type: 'actions',
      elements: [{ type: 'button', text: plain('Open in the console'), url, action_id: 'open-console' }],
    },
  ];
}

function eventBlocks(event: BatchEvent, publicUrl: string | null): Block[] {
  const failed = event.kind === 'failed';
  const head = failed
    ? `❌ ${event.job} ${event.date} failed`
    : `✅ ${event.job} ${event.date} succeeded again`;
  const blocks: Block[] = [
    { type: 'header', text: plain(head, headerMax) },
    {
      type: 'section',
      fields: [
        field('Job', code(event.job)),
        field('Date', code(event.date)),
        field('Attempts', String(event.attempts)),
        field('Exit code', event.exitCode === null ? '—' : String(event.exitCode)),
        field('Trigger', event.trigger),
        field('Run', code(event.runId)),
      ],
    },
  ];
  if (failed && event.error) blocks.push({ type: 'section', text: plain(`Error: ${event.error}`) });
  const log = failed ? logBlockText(event.logTail) : null;
  if (log) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Last lines of the log' }] });
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: log } });
  }
  return [...blocks, ...linkButton(consoleLink(publicUrl, event.job, event.runId))];
}

function digestBlocks(
  notifier: string,
  notice: Extract<Notice, { kind: 'digest' }>,
  publicUrl: string | null,
) {
  const lines: string[] = [];
  let size = 0;
  let shown = 0;
  for (const e of notice.events) {
    const line = `• ${escapeMrkdwn(clip(summary(e), lineMax))}`;
    if (size + line.length + 1 > sectionMax - 40) break;
    lines.push(line);
    size += line.length + 1;
    shown++;
  }
  const more = notice.events.length - shown + notice.omitted;
  if (more > 0) lines.push(`…and ${more} more`);
  return [
    { type: 'header', text: plain(digestTitle(notifier, notice), headerMax) },
    { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
    ...linkButton(consoleLink(publicUrl)),
  ];
}

/**
 * The Slack incoming-webhook body for a notice: `text` (the notification's fallback and what
 * screen readers say) and Block Kit `blocks`: a header, the run's fields, its error, the last
 * log lines in a code block and a button to the run in the console. Texts are already masked.
 *
 * @example
 * await fetch(hookUrl, { method: 'POST', body: JSON.stringify(slackPayload('ops', notice, 'https://enquete.example.org')) });
 */
export function slackPayload(notifier: string, notice: Notice, publicUrl: string | null) {
  if (notice.kind === 'digest') {
    return {
      text: escapeMrkdwn(digestTitle(notifier, notice)),
      blocks: digestBlocks(notifier, notice, publicUrl),
    };
  }
  return {
    text: escapeMrkdwn(summary(notice.event)),
    blocks: eventBlocks(notice.event, publicUrl),
  };
}
