import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { Quota, QuotaInput } from '../../distribution/index.ts';
import { EnqueteError } from '../../kernel/index.ts';
import { output, withContext } from '../context.ts';

async function readQuotaFile(file: string): Promise<QuotaInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new EnqueteError('FILE_UNREADABLE', 'invalid', `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    // YAML reads JSON as well. The quota service checks the shape and names the field.
    return parseYaml(text) as QuotaInput;
  } catch (error) {
    throw new EnqueteError('QUOTA_FILE_INVALID', 'invalid', `${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** A quota as lines: its id and name, then one line per cell with count/limit. */
function describe(quota: Quota): string {
  const width = Math.max(...quota.cells.map((c) => c.label.length));
  const cells = quota.cells.map((c) => {
    const conditions = [
      c.memberCondition ? `members: ${c.memberCondition}` : null,
      c.answerCondition ? `answers: ${c.answerCondition}` : null,
    ].filter((x) => x !== null);
    const count = `${c.count}/${c.limit}${c.full ? ' full' : ''}`;
    return `  ${c.id}  ${c.label.padEnd(width)}  ${count.padEnd(12)}  ${conditions.join('; ') || 'every completion'}`;
  });
  return [`${quota.id}  ${quota.name}`, ...cells].join('\n');
}

/**
 * `enquete quota add --survey ID --file quota.yaml` and `enquete quota list --survey ID`.
 *
 * @example
 * enquete quota add --survey sv_1 --file gender-age.yaml
 * enquete quota list --survey sv_1 --json
 */
export function quotaCommands(program: Command): void {
  const quota = program.command('quota').description('quotas of a survey: cells with limits and live counts');

  quota
    .command('add')
    .description(
      'add a quota from a YAML or JSON file {name, cells: [{label, memberCondition?, answerCondition?, limit}]}',
    )
    .requiredOption('--survey <id>', 'survey id')
    .requiredOption('--file <file>', 'quota file (.yaml, .yml or .json)')
    .option('--json', 'print the quota as JSON')
    .action(async (opts: { survey: string; file: string; json?: boolean }) => {
      const input = await readQuotaFile(opts.file);
      await withContext(async (ctx) => {
        const created = await ctx.distribution.quotas.create(opts.survey, input, 'cli');
        output(opts.json, { quota: created }, () => describe(created));
      });
    });

  quota
    .command('list')
    .description("list a survey's quotas with each cell's count/limit")
    .requiredOption('--survey <id>', 'survey id')
    .option('--json', 'print as JSON')
    .action(async (opts: { survey: string; json?: boolean }) => {
      await withContext(async (ctx) => {
        const quotas = await ctx.distribution.quotas.list(opts.survey);
        output(opts.json, { quotas }, () =>
          quotas.length ? quotas.map(describe).join('\n') : `survey ${opts.survey} has no quotas`,
        );
      });
    });
}
