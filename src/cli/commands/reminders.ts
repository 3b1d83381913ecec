import type { Command } from 'commander';
import { output, withContext } from '../context.ts';

/**
 * `enquete reminders run`: decides and queues the wave reminders that are due, once. The built-in
 * batch job `reminders` runs it every 10 minutes; running it by hand as well is harmless (each
 * reminder is decided once, in its transaction). The server's distribution loop sends what it queued.
 *
 * @example
 * enquete reminders run --json   # {"reminded": {"wv_…": 12}}
 */
export function reminderCommands(program: Command): void {
  const reminders = program.command('reminders').description('wave reminders');
  reminders
    .command('run')
    .description('queue the reminders that are due now; prints the count per wave')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withContext(async (ctx) => {
        const report = await ctx.distribution.runReminders();
        const waves = Object.entries(report.reminded);
        output(opts.json, report, () =>
          waves.length ? waves.map(([wave, n]) => `${wave}  reminded ${n}`).join('\n') : 'no reminders due',
        );
      });
    });
}
