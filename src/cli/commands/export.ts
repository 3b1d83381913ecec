import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { responseErrors } from '../../responses/index.ts';
import { output, withContext } from '../context.ts';

export function exportCommand(program: Command): void {
  program
    .command('export')
    .description("write a survey's responses to a file (csv; xlsx and sav come later)")
    .requiredOption('--survey <id>', 'survey id')
    .requiredOption('--format <format>', 'csv | xlsx | sav')
    .option('--labels', 'choice labels instead of codes')
    .option('--in-progress', 'also export unfinished responses')
    .requiredOption('--out <file>', 'output file (- for standard output)')
    .option('--json', 'print the result as JSON')
    .action(
      async (opts: {
        survey: string;
        format: string;
        labels?: boolean;
        inProgress?: boolean;
        out: string;
        json?: boolean;
      }) => {
        if (opts.format !== 'csv') throw responseErrors.exportFormatUnsupported(opts.format);
        await withContext(async (ctx) => {
          const { responses } = ctx;
          const input = { surveyId: opts.survey, labels: opts.labels, includeInProgress: opts.inProgress };
          if (opts.out === '-') {
            // A reader that stops early (`| head`) is not an error.
            await responses.exportCsv(input, process.stdout).catch((error: unknown) => {
              if ((error as { code?: string }).code !== 'EPIPE') throw error;
            });
            return;
          }
          // Written aside and renamed, so FILE is either the whole export or untouched.
          const partial = `${opts.out}.partial`;
          const file = createWriteStream(partial);
          // A file that cannot be made is refused here, by name, before any row is read.
          await once(file, 'open');
          const { rows } = await responses.exportCsv(input, file).catch(async (error: unknown) => {
            await rm(partial, { force: true });
            throw error;
          });
          await rename(partial, opts.out);
          output(
            opts.json,
            { survey: opts.survey, format: 'csv', rows, out: opts.out },
            () => `wrote ${rows} responses of survey ${opts.survey} to ${opts.out}`,
          );
        });
      },
    );
}
