import { spawn as nodeSpawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Spawner } from '../local/local-runner.ts';

/**
 * The engine command a container job runs with: `engine` as configured (a name looked up on PATH,
 * or a path), else podman when it is on PATH, else docker. Null when none is found.
 *
 * @example
 * findEngine(undefined, process.env['PATH']); // '/usr/bin/podman'
 */
export function findEngine(engine: string | undefined, path: string | undefined): string | null {
  const candidates = engine === undefined ? ['podman', 'docker'] : [engine];
  for (const name of candidates) {
    if (isAbsolute(name)) {
      if (executable(name)) return name;
      continue;
    }
    for (const dir of (path ?? '').split(delimiter).filter(Boolean)) {
      const full = join(dir, name);
      if (executable(full)) return full;
    }
  }
  return null;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** What a short engine command (`rm`, `stop`) answered. */
export interface EngineResult {
  code: number | null;
  stderr: string;
}

/**
 * Runs a short engine command such as `podman rm -f NAME` to its end. Never rejects: a command
 * that cannot start answers code null with the reason in `stderr`.
 */
export function engineCommand(
  engine: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  spawn: Spawner = nodeSpawn,
): Promise<EngineResult> {
  return new Promise((resolve) => {
    let stderr = '';
    let child: ReturnType<Spawner>;
    try {
      child = spawn(engine, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      resolve({ code: null, stderr: String(error) });
      return;
    }
    child.stderr?.on('data', (b: Buffer) => {
      if (stderr.length < 4096) stderr += b.toString('utf8');
    });
    child.once('error', (error) => resolve({ code: null, stderr: error.message }));
    child.once('close', (code) => resolve({ code, stderr }));
  });
}
