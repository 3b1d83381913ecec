import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli as cli } from '../helpers/cli.ts';

const bin = fileURLToPath(new URL('../../bin/enquete.mjs', import.meta.url));

describe('enquete jobs logs into a pipe that closes', () => {
  let dir: string;
  const saved = { ...process.env };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'enquete-cli-pipe-'));
    writeFileSync(join(dir, 'jobs.yaml'), "- { name: chatty, cmd: 'seq 1 50000' }\n");
    process.env['ENQUETE_DATA_DIR'] = join(dir, 'data');
    process.env['ENQUETE_JOBS'] = join(dir, 'jobs.yaml');
    delete process.env['DATABASE_URL'];
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops quietly with code 0 when the reader stops reading, as `| head` does', async () => {
    const run = await cli('jobs', 'run', 'chatty', '--date', '20260301', '--json');
    expect(run.code).toBe(0);
    const runId = (JSON.parse(run.out) as { run: { id: string } }).run.id;
    for (const args of [
      ['jobs', 'logs', runId],
      ['jobs', 'logs', runId, '--json'],
    ]) {
      const child = spawn(process.execPath, [bin, ...args], {
        env: process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (b: Buffer) => {
        err += String(b);
      });
      // Read the first chunk, then close our end, as `head -n 1` does.
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.stdout.destroy();
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect({ code, err }).toEqual({ code: 0, err: '' });
    }
  }, 60_000);
});
