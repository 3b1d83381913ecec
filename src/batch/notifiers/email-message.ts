import { type BatchEvent, consoleLink, digestTitle, type Notice, summary } from './notifier.ts';

export interface EmailMessage {
  subject: string;
  text: string;
}

const subjectMax = 200;

function oneLine(text: string, max: number): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function eventText(event: BatchEvent, publicUrl: string | null): string {
  const rows: [string, string][] = [
    ['Job', event.job],
    ['Date', event.date],
    ['Trigger', event.trigger],
    ['Attempts', String(event.attempts)],
    ['Exit code', event.exitCode === null ? '-' : String(event.exitCode)],
  ];
  if (event.error) rows.push(['Error', oneLine(event.error, 1000)]);
  rows.push(['Run', event.runId], ['At', event.at]);
  const out = [summary(event), '', ...rows.map(([k, v]) => `${`${k}:`.padEnd(11)}${v}`)];
  if (event.kind === 'failed' && event.logTail.length > 0) {
    out.push('', 'Last lines of the log:', ...event.logTail.map((l) => `  ${oneLine(l, 1000)}`));
  }
  const link = consoleLink(publicUrl, event.job, event.runId);
  if (link) out.push('', `Open in the console: ${link}`);
  return `${out.join('\n')}\n`;
}

/**
 * The plain-text mail for a notice: the summary as subject, the run's fields, the last log lines
 * and the console link. Plain text on purpose: nothing in it is ever interpreted as markup.
 *
 * @example
 * const { subject, text } = emailMessage('ops', { kind: 'event', event }, 'https://enquete.example.org');
 */
export function emailMessage(notifier: string, notice: Notice, publicUrl: string | null): EmailMessage {
  if (notice.kind === 'event') {
    return {
      subject: oneLine(`[enquete] ${summary(notice.event)}`, subjectMax),
      text: eventText(notice.event, publicUrl),
    };
  }
  const title = digestTitle(notifier, notice);
  const lines = [`${title}:`, '', ...notice.events.map((e) => `- ${oneLine(summary(e), 1000)}`)];
  if (notice.omitted > 0) lines.push(`- and ${notice.omitted} more`);
  const link = consoleLink(publicUrl);
  if (link) lines.push('', `Open the jobs in the console: ${link}`);
  return { subject: oneLine(`[enquete] ${title}`, subjectMax), text: `${lines.join('\n')}\n` };
}
