import type { JobDefinition } from '../jobs-file.ts';

/**
 * The argv of a run: a `cmd` string runs through `/bin/sh -c` (the shell form, as in a
 * Dockerfile) with `args` appended shell-quoted; a `cmd` list runs as it is with `args` appended.
 * `{date}` becomes the run date in both. No `cmd` means the image's own command, with `args`.
 *
 * @example
 * buildCommand({ cmd: '/work/run.sh', args: ['--date', '{date}'] }, '20260301');
 * // ['/bin/sh', '-c', "/work/run.sh '--date' '20260301'"]
 */
export function buildCommand(job: Pick<JobDefinition, 'cmd' | 'args'>, date: string): string[] {
  const sub = (s: string) => s.replaceAll('{date}', date);
  const args = job.args.map(sub);
  if (job.cmd === null) return args;
  if (Array.isArray(job.cmd)) return [...job.cmd.map(sub), ...args];
  return ['/bin/sh', '-c', [sub(job.cmd), ...args.map(shellQuote)].join(' ')];
}

/** Single-quotes a word for /bin/sh. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
