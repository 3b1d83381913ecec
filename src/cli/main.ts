import { Command, CommanderError } from 'commander';
import { isEnqueteError } from '../kernel/index.ts';
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
    .configureOutput({ outputError: (str, write) => write(str) });
  registerCommands(program);
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
    if (isEnqueteError(error)) {
      process.stderr.write(`enquete: ${error.message} [${error.code}]\n`);
      return exitCodeOf[error.kind] ?? 1;
    }
    process.stderr.write(`enquete: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
