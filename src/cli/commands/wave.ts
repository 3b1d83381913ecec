import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Channel, OutboxMessage, Wave, WaveProgress } from '../../distribution/index.ts';
import { EnqueteError } from '../../kernel/index.ts';
import { output, withContext } from '../context.ts';

async function readTemplate(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new EnqueteError('FILE_UNREADABLE', 'invalid', `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function waveLine(w: Wave): string {
  const until = w.deadline ? ` until ${w.deadline}` : '';
  const name = w.name ? `  ${w.name}` : '';
  return `${w.id}  ${w.surveyId}  ${w.channel}  ${w.status}  invited ${w.invited}  from ${w.startAt}${until}${name}`;
}

function describeProgress(p: WaveProgress): string {
  const w = p.wave;
  const lines = [
    waveLine(w),
    `segment: ${w.segment}`,
    `reminders: ${w.reminders.length ? `${w.reminders.join(', ')} (${w.remindersDone} done)` : 'none'}`,
  ];
  if (w.error) lines.push(`error: ${w.error}`);
  lines.push('by status:');
  for (const [status, n] of Object.entries(p.byStatus)) lines.push(`  ${status.padEnd(12)} ${n}`);
  lines.push(`  ${'opted out'.padEnd(12)} ${p.optedOut}`);
  if (p.heldForQuota > 0)
    lines.push(`held for quota: ${p.heldForQuota} (first message not sent: a full quota cell)`);
  for (const c of p.byChannel) {
    lines.push(`via ${c.channel}: opened ${c.opened}, started ${c.started}, completed ${c.completed}`);
  }
  if (p.failures.length > 0) lines.push('send failures:');
  for (const f of p.failures) lines.push(`  ${String(f.count).padStart(6)}  ${f.reason}`);
  return lines.join('\n');
}

function messageLine(m: OutboxMessage): string {
  const error = m.lastError ? `  — ${m.lastError}` : '';
  const when = m.sentAt ?? m.nextAttemptAt;
  return `${m.id}  ${m.waveId}  ${m.kind}  ${m.status}  attempts ${m.attempts}  ${when}  ${m.to}  ${m.subject}${error}`;
}

interface CreateOptions {
  survey: string;
  segment: string;
  channel?: string;
  reminders?: string;
  at?: string;
  deadline?: string;
  name?: string;
  subjectFile?: string;
  bodyFile?: string;
  format?: string;
  externalUrl?: string;
  json?: boolean;
}

/**
 * `enquete wave create|list|show` and `enquete outbox`: the distribution hub from the shell.
 *
 * @example
 * enquete wave create --survey sv_1 --segment "region = 'Kanto'" --reminders 3d,7d --deadline 2026-04-30T23:59:00+09:00
 * enquete outbox --wave wv_1 --status failed
 */
export function waveCommands(program: Command): void {
  const wave = program.command('wave').description('waves: invite a segment of the panel to a survey');

  wave
    .command('create')
    .description('invite the members of a segment (each member once per survey); prints the wave id')
    .requiredOption('--survey <id>', 'the published survey')
    .requiredOption('--segment <expr>', `a segment expression, e.g. "region = 'Kanto' and age >= 40", or all`)
    .option('--channel <channel>', 'email | portal', 'email')
    .option('--reminders <offsets>', 'reminders after the start, e.g. 3d,7d (units m, h, d, w; email only)')
    .option('--at <iso8601>', 'start, e.g. 2026-04-01T09:00:00+09:00 (default now)')
    .option('--deadline <iso8601>', 'no more answers, listing or reminders after this instant')
    .option('--name <name>', 'a name for the console')
    .option('--subject-file <file>', 'the subject template (LiquidJS; default: the standard invitation)')
    .option('--body-file <file>', 'the body template (LiquidJS)')
    .option('--format <format>', 'the body is text | html', 'text')
    .option(
      '--external-url <url>',
      'the survey runs on an external engine at this URL with {token} (prints its return links once)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: CreateOptions) => {
      const subject = opts.subjectFile ? (await readTemplate(opts.subjectFile)).trim() : undefined;
      const body = opts.bodyFile ? await readTemplate(opts.bodyFile) : undefined;
      await withContext(async (ctx) => {
        const created = await ctx.distribution.createWave({
          surveyId: opts.survey,
          segment: opts.segment,
          channel: opts.channel as Channel,
          ...(opts.reminders !== undefined ? { reminders: opts.reminders } : {}),
          ...(opts.at !== undefined ? { startAt: opts.at } : {}),
          ...(opts.deadline !== undefined ? { deadline: opts.deadline } : {}),
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(subject !== undefined ? { subject } : {}),
          ...(body !== undefined ? { body } : {}),
          format: opts.format as 'text' | 'html',
          ...(opts.externalUrl !== undefined ? { externalUrl: opts.externalUrl } : {}),
          actor: 'cli',
        });
        const links = created.returnLinks;
        // The engine's signing secret is shown here once (docs/external-engines.md).
        const returnLines = links
          ? `\nreturn secret: ${links.secret}\ncomplete:  ${links.complete}\nscreenout: ${links.screenout}\nquotafull: ${links.quotafull}`
          : '';
        output(
          opts.json,
          created,
          () =>
            `${created.wave.id}\ninvited ${created.invited}, already invited ${created.alreadyInvited}, without e-mail address ${created.withoutEmail}${returnLines}`,
        );
      });
    });

  wave
    .command('list')
    .description('list waves, newest first')
    .option('--survey <id>', 'only the waves of this survey')
    .option('--json', 'print as JSON')
    .action(async (opts: { survey?: string; json?: boolean }) => {
      await withContext(async (ctx) => {
        const waves = await ctx.distribution.listWaves(opts.survey ? { surveyId: opts.survey } : {});
        output(opts.json, { waves }, () => (waves.length ? waves.map(waveLine).join('\n') : 'no waves'));
      });
    });

  wave
    .command('show')
    .description('a wave and its invitations by status')
    .argument('<id>', 'wave id')
    .option('--json', 'print the progress as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withContext(async (ctx) => {
        const progress = await ctx.distribution.progress(id);
        output(opts.json, progress, () => describeProgress(progress));
      });
    });

  program
    .command('outbox')
    .description('messages of the outbox, newest first (without SMTP_URL they stay queued here)')
    .option('--wave <id>', 'only the messages of this wave')
    .option('--status <status>', 'queued | sending | sent | failed | cancelled | held')
    .option('--limit <n>', 'at most this many (1-500)', '50')
    .option('--json', 'print as JSON (with the message bodies)')
    .action(async (opts: { wave?: string; status?: string; limit: string; json?: boolean }) => {
      await withContext(async (ctx) => {
        const page = await ctx.distribution.outbox({
          ...(opts.wave ? { waveId: opts.wave } : {}),
          ...(opts.status ? { status: opts.status as OutboxMessage['status'] } : {}),
          limit: Number(opts.limit),
        });
        output(opts.json, page, () =>
          page.messages.length ? page.messages.map(messageLine).join('\n') : 'no messages',
        );
      });
    });
}
