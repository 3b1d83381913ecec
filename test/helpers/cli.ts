import { vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

/** What one CLI call wrote and the code it exits with. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs the CLI in this process as `enquete …args` and captures what it writes.
 *
 * @example
 * const { code, out } = await runCli('survey', 'list', '--json');
 */
export async function runCli(...args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  try {
    const code = await main(['node', 'enquete', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
