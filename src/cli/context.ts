import pino from 'pino';
import { loadConfig } from '../config/index.ts';
import { type Context, createContext } from '../context.ts';

/**
 * Runs `fn` with a wired context and closes the database afterwards. CLI commands log only
 * warnings, to stderr (their output is their result: a warning must not break `--json`).
 */
export async function withContext<T>(
  fn: (ctx: Context) => Promise<T>,
  opts: { logLevel?: string } = {},
): Promise<T> {
  const config = loadConfig(process.env, process.cwd());
  const ctx = await createContext(
    { ...config, logLevel: opts.logLevel ?? 'warn' },
    // Written at once: a command may end by a signal right after (see Interruption).
    { logDestination: pino.destination({ dest: 2, sync: true }) },
  );
  try {
    return await fn(ctx);
  } finally {
    await ctx.db.close();
  }
}

/** Prints data as JSON (`--json`) or as text. */
export function output(json: boolean | undefined, data: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text()}\n`);
}
