import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { EnqueteError } from '../../kernel/index.ts';
import type { SurveySummary } from '../../surveys/index.ts';
import { output, withContext } from '../context.ts';

async function readSource(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new EnqueteError('FILE_UNREADABLE', 'invalid', `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function row(s: SurveySummary): string {
  const version = s.currentVersion === null ? 'draft' : `v${s.currentVersion}`;
  return [s.id, version.padEnd(5), (s.client ?? '-').padEnd(12), s.title].join('  ');
}

/** `enquete survey import|list|publish`. */
export function surveyCommands(program: Command): void {
  const survey = program.command('survey').description('survey definitions: import, list, publish');

  survey
    .command('import')
    .description('import a SurveyJS JSON or YAML definition as a new survey; prints its id')
    .argument('<file>', 'definition file (.json, .yaml or .yml)')
    .option('--publish', 'publish version 1 at once')
    .option('--client <name>', 'client the survey belongs to')
    .option('--json', 'print the survey as JSON')
    .action(async (file: string, opts: { publish?: boolean; client?: string; json?: boolean }) => {
      const source = await readSource(file);
      await withContext(async (ctx) => {
        // A bad definition fails with one line naming the first problem's place (and how many more).
        const created = await ctx.surveys.importSurvey({
          source,
          filename: basename(file),
          client: opts.client ?? null,
          publish: opts.publish ?? false,
          actor: 'cli',
        });
        output(opts.json, { survey: created }, () => created.id);
      });
    });

  survey
    .command('list')
    .description('list surveys, newest first')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withContext(async (ctx) => {
        const surveys = await ctx.surveys.list();
        output(opts.json, { surveys }, () => (surveys.length ? surveys.map(row).join('\n') : 'no surveys'));
      });
    });

  survey
    .command('publish')
    .description('publish the draft of a survey as its next version')
    .argument('<id>', 'survey id')
    .option('--json', 'print the version as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withContext(async (ctx) => {
        const version = await ctx.surveys.publish(id, 'cli');
        output(opts.json, { version }, () => `survey ${id} is at version ${version.version}`);
      });
    });
}
