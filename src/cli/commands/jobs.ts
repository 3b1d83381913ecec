import { once } from 'node:events';
import type { Command } from 'commander';
import {
  type BatchService,
  batchError,
  type LogLine,
  logLineText,
  logPages,
  openBatchService,
  type RunView,
} from '../../batch/index.ts';
import type { Context } from '../../context.ts';
import { EnqueteError, isEnqueteError } from '../../kernel/index.ts';
import { output, withContext } from '../context.ts';
import { interruptible } from '../interruption.ts';
import { terminalSafe } from '../terminal-safe.ts';

/**
 * Runs `fn` with the batch service of this process, stopped (runs finished) before the database
 * closes. It starts only the runs the command itself created: other queued runs (retries, API
 * runs) are a serve's, and neither `jobs run` nor `jobs resume` may run them here and wait.
 */
async function withBatch<T>(fn: (batch: BatchService) => Promise<T>): Promise<T> {
  return withContext(async (ctx: Context) => {
    const batch = openBatchService({
      db: ctx.db,
      clock: ctx.clock,
      ids: ctx.ids,
      log: ctx.log,
      jobsPath: ctx.config.jobsPath,
      env: process.env,
      publicUrl: ctx.config.publicUrl,
      smtpUrl: ctx.config.smtpUrl,
      dataDir: ctx.config.dataDir,
      databaseUrl: ctx.config.databaseUrl,
      options: { ownRunsOnly: true },
    });
    try {
      return await fn(batch);
    } finally {
      await batch.stop();
    }
  });
}

function runLine(r: RunView): string {
  const exit = r.exitCode === null ? '' : ` exit ${r.exitCode}`;
  const retry = r.status === 'queued' && r.attempt > 0 ? ` (retry at ${r.nextAttemptAt})` : '';
  const error = r.error && r.status !== 'succeeded' ? ` — ${r.error}` : '';
  return `${r.id}  ${r.job}  ${r.date}  ${r.trigger}  ${r.status}  attempt ${r.attempt}/${r.maxAttempts}${exit}${retry}${error}`;
}

/**
 * A backfill's progress by outcome: `3/5 succeeded`, `2/5 succeeded, 1 failed`, `5/5 cancelled`
 * — "done" would call cancelled or failed days done.
 */
export function progressLine(runs: RunView[]): string {
  const ended = runs.filter((r) => !['queued', 'running'].includes(r.status));
  if (ended.length === 0) return `0/${runs.length} done`;
  const counts = new Map<string, number>();
  for (const r of ended) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const order = ['succeeded', 'failed', 'cancelled', 'skipped'];
  const parts = [...counts].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
  const [first, ...rest] = parts.map(([status, n], i) =>
    i === 0 ? `${n}/${runs.length} ${status}` : `${n} ${status}`,
  );
  return [first, ...rest].join(', ');
}

function failIfFailed(runs: RunView[]): void {
  const failed = runs.filter((r) => r.status === 'failed');
  if (failed.length > 0) {
    throw batchError(
      'BATCH_RUN_FAILED',
      `${failed.length} of ${runs.length} runs failed: ${failed.map((r) => r.id).join(', ')}`,
    );
  }
}

/**
 * A signal to `jobs run` or `jobs backfill`, which run in the foreground. SIGINT (Ctrl-C): a
 * person wants the runs to stop now and not come back — each run it started is cancelled (the
 * command's group gets SIGTERM, then SIGKILL after 5 s) and recorded `cancelled`. SIGTERM: this
 * launcher is asked to go, as `serve` is, but without the grace — its running attempts are
 * stopped and recorded interrupted (retried by a serve when attempts are left), and queued runs
 * wait for a serve. Either way the command then ends, its runs recorded; a second signal ends it
 * at once (the process host still stops the commands).
 */
function stopForeground(batch: BatchService, runIds: string[], signal: NodeJS.Signals): void {
  const stop = async () => {
    if (signal === 'SIGTERM') {
      await batch.stop({ graceMs: 0 });
      return;
    }
    process.stderr.write(`enquete: cancelling ${runIds.join(', ')} (press Ctrl-C again to leave now)\n`);
    for (const id of runIds) {
      try {
        await batch.cancel(id);
      } catch (error) {
        if (!isEnqueteError(error) || error.code !== 'BATCH_RUN_FINISHED') throw error;
      }
    }
  };
  stop().catch((error) => process.stderr.write(`enquete: could not stop the runs: ${String(error)}\n`));
}

/**
 * Says plainly why runs were left queued when their job is paused (by itself or with every job):
 * who to ask (the reason), what resumes them, and what `overlap: skip` will make of several runs
 * queued meanwhile. To stderr, so `--json` stays JSON.
 */
async function warnIfPaused(batch: BatchService, runs: RunView[]): Promise<void> {
  const waiting = runs.filter((r) => r.status === 'queued');
  if (waiting.length === 0) return;
  const job = await batch.job(waiting[0]!.job);
  if (!job.paused) return;
  const what = job.pausedBy === 'all' ? 'every job is paused' : `${job.name} is paused`;
  const reason = job.pausedReason ? `: "${job.pausedReason}"` : ' (no reason given)';
  const resume = job.pausedBy === 'all' ? 'enquete jobs resume --all' : `enquete jobs resume ${job.name}`;
  const ids = waiting.map((r) => r.id).join(', ');
  let text = `enquete: ${what} since ${job.pausedAt}${reason}. ${ids} waits, queued, until \`${resume}\`; then a running enquete serve starts it.\n`;
  const mine = new Set(waiting.map((r) => r.id));
  const others = (await batch.runs(job.name, { limit: 1000 })).filter(
    (r) => r.status === 'queued' && !mine.has(r.id) && r.trigger !== 'backfill' && r.attempt === 0,
  );
  if (job.overlap === 'skip' && waiting.some((r) => r.trigger !== 'backfill') && others.length > 0) {
    text += `enquete: ${others.length} other run${others.length === 1 ? ' is' : 's are'} of ${job.name} queued too; with overlap: skip only the first in line runs on resume, the others are recorded skipped.\n`;
  }
  process.stderr.write(text);
}

async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/** A run's log a page at a time, until a page comes back empty (whatever the service's cap). */
/**
 * Prints a run's whole log, each page written before the next is read, so a log of hundreds of
 * thousands of lines is never in memory at once. `json`: what `JSON.stringify({ logs }, null, 2)`
 * would print.
 */
async function printLogs(batch: BatchService, runId: string, json: boolean): Promise<void> {
  if (!json) {
    // On a terminal a job's escape sequences are shown, not obeyed; into a pipe or file, as stored.
    const shown = process.stdout.isTTY ? (l: LogLine) => terminalSafe(logLineText(l)) : logLineText;
    for await (const page of logPages(batch, runId)) await write(`${page.map(shown).join('\n')}\n`);
    return;
  }
  let before = '{\n  "logs": [\n';
  for await (const page of logPages(batch, runId)) {
    await write(before + page.map((l) => JSON.stringify(l, null, 2).replace(/^/gm, '    ')).join(',\n'));
    before = ',\n';
  }
  await write(before === ',\n' ? '\n  ]\n}\n' : '{\n  "logs": []\n}\n');
}

/** `enquete jobs list | run | backfill | pause | resume | runs | logs`. */
export function jobsCommands(program: Command): void {
  const jobs = program
    .command('jobs')
    .description('the batch launcher: jobs from jobs.yaml, their runs and logs');

  jobs
    .command('list')
    .description('every job with its schedule, next and last run, paused or not')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withBatch(async (batch) => {
        const list = await batch.listJobs();
        output(opts.json, { jobs: list }, () =>
          list.length === 0
            ? 'no jobs (set ENQUETE_JOBS or add ./jobs.yaml)'
            : list
                .map((j) => {
                  const schedule = j.schedule ? `${j.schedule} ${j.timezone}` : 'on demand';
                  const last = j.lastRun ? `${j.lastRun.status} ${j.lastRun.date}` : 'never run';
                  const paused = j.paused ? `  PAUSED${j.pausedReason ? ` (${j.pausedReason})` : ''}` : '';
                  return `${j.name}  ${j.endpoint}  ${schedule}  next ${j.nextRunAt ?? '-'}  last ${last}${paused}`;
                })
                .join('\n'),
        );
      });
    });

  jobs
    .command('run <name>')
    .description('run a job now, in this process, and wait for its first attempt')
    .option('--date <YYYYMMDD>', "the run's date (default: today in the job's time zone)")
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { date?: string; json?: boolean }) => {
      await interruptible((interruption) =>
        withBatch(async (batch) => {
          const started = await batch.startRun(name, { date: opts.date, trigger: 'manual' });
          interruption.onSignal((signal) => stopForeground(batch, [started.id], signal));
          const [run] = await batch.settle([started.id]);
          if (!interruption.signal) await warnIfPaused(batch, [run!]);
          output(opts.json, { run }, () => runLine(run!));
          if (!interruption.signal) failIfFailed([run!]);
        }),
      );
    });

  jobs
    .command('backfill <name>')
    .description('one run per day from --from to --to, in order, one at a time')
    .requiredOption('--from <YYYYMMDD>', 'first day')
    .requiredOption('--to <YYYYMMDD>', 'last day (included)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { from: string; to: string; json?: boolean }) => {
      await interruptible((interruption) =>
        withBatch(async (batch) => {
          const queued = await batch.backfill(name, opts.from, opts.to);
          interruption.onSignal((signal) =>
            stopForeground(
              batch,
              queued.map((r) => r.id),
              signal,
            ),
          );
          const runs = await batch.settle(
            queued.map((r) => r.id),
            {
              onProgress: (now) => {
                if (opts.json) return;
                const running = now.find((r) => r.status === 'running');
                process.stderr.write(`${progressLine(now)}${running ? `, running ${running.date}` : ''}\n`);
              },
            },
          );
          if (!interruption.signal) await warnIfPaused(batch, runs);
          output(opts.json, { runs }, () => runs.map(runLine).join('\n'));
          if (!interruption.signal) failIfFailed(runs);
        }),
      );
    });

  jobs
    .command('pause [name]')
    .description('pause one job, or every job with --all')
    .option('--all', 'pause every job')
    .option('--reason <text>', 'shown in the console and the job list')
    .action(async (name: string | undefined, opts: { all?: boolean; reason?: string }) => {
      if (!name === !opts.all)
        throw new EnqueteError('CLI_ARGUMENT_INVALID', 'invalid', 'give a job name or --all');
      await withBatch(async (batch) => {
        await batch.pause(opts.all ? { all: true } : { job: name! }, opts.reason);
        process.stdout.write(`paused ${opts.all ? 'every job' : name}\n`);
      });
    });

  jobs
    .command('resume [name]')
    .description('resume one job, or every job with --all; missed runs follow the catch-up policy')
    .option('--all', 'resume every job')
    .action(async (name: string | undefined, opts: { all?: boolean }) => {
      if (!name === !opts.all)
        throw new EnqueteError('CLI_ARGUMENT_INVALID', 'invalid', 'give a job name or --all');
      await withBatch(async (batch) => {
        await batch.resume(opts.all ? { all: true } : { job: name! });
        process.stdout.write(`resumed ${opts.all ? 'every job' : name}\n`);
      });
    });

  jobs
    .command('runs [name]')
    .description('recent runs, newest first')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, opts: { limit: string; json?: boolean }) => {
      await withBatch(async (batch) => {
        const runs = await batch.runs(name, { limit: Number.parseInt(opts.limit, 10) || 50 });
        output(opts.json, { runs }, () => (runs.length === 0 ? 'no runs' : runs.map(runLine).join('\n')));
      });
    });

  jobs
    .command('logs <runId>')
    .description("a run's whole log, kept by enquete")
    .option('--json', 'print JSON')
    .action(async (runId: string, opts: { json?: boolean }) => {
      await withBatch((batch) => printLogs(batch, runId, opts.json === true));
    });
}
