import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { runDemo } from '../../demo/index.ts';
import { EnqueteError } from '../../kernel/index.ts';
import { output, withContext } from '../context.ts';

export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description('load the Big Five Inventory survey with its 2,800 real respondents (idempotent)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withContext(async (ctx) => {
        const started = performance.now();
        const bar =
          process.stderr.isTTY && !opts.json
            ? new SingleBar({ stream: process.stderr, format: 'respondents [{bar}] {value}/{total}' })
            : null;
        const result = await runDemo(
          { surveys: ctx.surveys, responses: ctx.responses, clock: ctx.clock },
          {
            onProgress: (done, total) => {
              if (!bar) {
                if (done === 0 && !opts.json) process.stderr.write(`loading ${total} respondents…\n`);
                return;
              }
              if (done === 0) bar.start(total, 0);
              else bar.update(done);
            },
          },
        ).finally(() => bar?.stop());
        const seconds = (performance.now() - started) / 1000;
        const url = `${ctx.config.publicUrl}/surveys/${result.surveyId}`;
        output(
          opts.json,
          { ...result, url, openLink: `${ctx.config.publicUrl}/o/${result.surveyId}`, seconds },
          () =>
            [
              `Big Five Inventory demo: ${result.respondents} respondents, ${result.inserted} inserted, ${result.skipped} already there, ${result.rejected.length} rejected (${seconds.toFixed(1)} s)`,
              ...result.rejected
                .slice(0, 5)
                .map(
                  (r) =>
                    `  rejected ${r.externalRef}: ${r.issues.map((i) => `${i.question} ${i.message}`).join('; ')}`,
                ),
              `Survey ${result.surveyId}${result.created ? ' (created)' : ''}: ${url}`,
              `Answer it yourself: ${ctx.config.publicUrl}/o/${result.surveyId}`,
            ].join('\n'),
        );
        if (result.rejected.length > 0) {
          throw new EnqueteError(
            'DEMO_ROWS_REJECTED',
            'internal',
            `${result.rejected.length} demo respondents were rejected by the survey's validator`,
          );
        }
      });
    });
}
