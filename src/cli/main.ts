import { Command, CommanderError } from 'commander';
import { isEnqueteError } from '../kernel/index.ts';
import { auditCommand } from './audit.ts';
import { registerCommands } from './commands/index.ts';

const exitCodeOf: Record<string, number> = {
  invalid: 2,
  not_found: 3,
  conflict: 4,
  unauthenticated: 5,
  forbidden: 5,
  too_large: 2,
  rate_limited: 6,
  unavailable: 6,
  internal: 1,
};

/** Runs the CLI; returns the exit code. One clear line on stderr for any error. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('enquete')
    .description('enquete survey research platform')
    .exitOverride()
    // Commander's own complaints (unknown option, missing argument) in the same one-line form as ours.
    .configureOutput({ outputError: (str, write) => write(`enquete: ${str.replace(/^error: /, '')}`) });
  registerCommands(program);
  program.hook('postAction', (_program, command) => auditCommand(command));
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
        ? 0
        : 2;
    }
    // A reader that stopped reading (`enquete jobs logs RUN | head`) is not an error of ours.
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    if (isEnqueteError(error)) {
      process.stderr.write(`enquete: ${error.message} [${error.code}]\n`);
      return exitCodeOf[error.kind] ?? 1;
    }
    const file = fileProblem(error);
    if (file) {
      process.stderr.write(`enquete: ${file.message} [${file.code}]\n`);
      return file.exit;
    }
    process.stderr.write(`enquete: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

const fileCodes: Record<string, { code: string; reason: string; exit: number }> = {
  ENOENT: { code: 'FILE_NOT_FOUND', reason: 'no such file or folder', exit: 3 },
  ENOTDIR: { code: 'FILE_NOT_FOUND', reason: 'a part of the path is not a folder', exit: 3 },
  EACCES: { code: 'FILE_ACCESS_DENIED', reason: 'permission denied', exit: 5 },
  EPERM: { code: 'FILE_ACCESS_DENIED', reason: 'not permitted', exit: 5 },
  EISDIR: { code: 'FILE_IS_FOLDER', reason: 'is a folder', exit: 2 },
  ENOSPC: { code: 'FILE_DISK_FULL', reason: 'no space left on the disk', exit: 1 },
};

/** A file system error of Node (`ENOENT … open '/x'`) in words, with a stable code. */
function fileProblem(error: unknown): { message: string; code: string; exit: number } | null {
  const e = error as NodeJS.ErrnoException | undefined;
  const known = e?.code ? fileCodes[e.code] : undefined;
  if (!known || typeof e?.path !== 'string') return null;
  return { message: `${e.path}: ${known.reason}`, code: known.code, exit: known.exit };
}
