import { createReadStream, statSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { EnqueteError } from '../../kernel/index.ts';
import { createPanelService, type ImportResult } from '../../panel/index.ts';
import { output, withContext } from '../context.ts';

/** Rejected lines printed as text; `--json` lists them all. */
const shownRejections = 20;

function describeImport(result: ImportResult, seconds: number): string {
  const { inserted, updated, unchanged, rejected } = result;
  const lines = [
    `inserted ${inserted}, updated ${updated}, unchanged ${unchanged}, rejected ${rejected.length} (${seconds.toFixed(1)} s)`,
  ];
  if (result.attributes.length > 0) {
    lines.push(`attributes: ${result.attributes.map((a) => `${a.key} (${a.type})`).join(', ')}`);
  }
  for (const r of rejected.slice(0, shownRejections)) lines.push(`  line ${r.line}: ${r.reason}`);
  if (rejected.length > shownRejections) {
    lines.push(`  … and ${rejected.length - shownRejections} more (--json lists them all)`);
  }
  return lines.join('\n');
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch (error) {
    throw new EnqueteError('FILE_NOT_FOUND', 'not_found', `cannot read ${file}`, { cause: error });
  }
}

/**
 * `enquete members import FILE [--key COLUMN]` and `enquete members count SEGMENT`.
 *
 * @example
 * enquete members import panel.csv --key respondent_id
 * enquete members count "specialty in ('cardiology', 'oncology') and age >= 40"
 */
export function memberCommands(program: Command): void {
  const members = program.command('members').description('the panel: members and segments');
  members
    .command('import')
    .description('import members from a CSV/TSV file (upsert by the key column; - reads standard input)')
    .argument('<file>', 'CSV or TSV file, UTF-8, with a header line')
    .option(
      '--key <column>',
      'the column with the external ids, or @line to number members by line',
      'external_id',
    )
    .option('--tab', 'the file is tab-separated (by default guessed from the header line)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { key: string; tab?: boolean; json?: boolean }) => {
      const stdin = file === '-';
      const total = stdin ? 0 : fileSize(file);
      await withContext(async (ctx) => {
        const panel = createPanelService({ db: ctx.db, clock: ctx.clock, ids: ctx.ids });
        const bar =
          process.stderr.isTTY && !opts.json && total > 0
            ? new SingleBar({
                stream: process.stderr,
                format: 'members [{bar}] {percentage}% | {rows} rows, {rejected} rejected',
              })
            : null;
        bar?.start(total, 0, { rows: 0, rejected: 0 });
        const started = performance.now();
        const result = await panel
          .importMembers(stdin ? process.stdin : createReadStream(file), {
            key: opts.key,
            ...(opts.tab ? { delimiter: '\t' as const } : {}),
            onProgress: (p) => bar?.update(p.bytes, { rows: p.rows, rejected: p.rejected }),
          })
          .finally(() => bar?.stop());
        const seconds = (performance.now() - started) / 1000;
        output(opts.json, result, () => describeImport(result, seconds));
      });
    });
  members
    .command('count')
    .description('count the members of a segment (opted-out members never count)')
    .argument('<segment>', `a segment expression, e.g. "region = 'Kanto' and age >= 40"`)
    .option('--json', 'print the result as JSON')
    .action(async (segment: string, opts: { json?: boolean }) => {
      await withContext(async (ctx) => {
        const panel = createPanelService({ db: ctx.db, clock: ctx.clock, ids: ctx.ids });
        const count = await panel.countSegment(segment);
        output(opts.json, { segment, count }, () => String(count));
      });
    });
}
