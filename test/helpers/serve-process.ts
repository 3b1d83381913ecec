import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/enquete.mjs', import.meta.url));

/** A real `enquete serve` process: its port once it listens, and its exit code once it ends. */
export interface ServeProcess {
  child: ChildProcess;
  port: number;
  exited: Promise<number>;
}

/**
 * Starts `enquete serve --port 0 …args` with `env`; resolves once it listens (rejects, with its
 * stderr, if it exits first).
 *
 * @example
 * const server = await startServe(env, ['--role', 'web']);
 */
export async function startServe(env: NodeJS.ProcessEnv, args: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  let out = '';
  let err = '';
  child.stderr!.on('data', (b: Buffer) => {
    err += String(b);
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += String(b);
      const listening = /enquete listening on http:\/\/[^\s]+:(\d+)/.exec(out);
      if (listening) resolve(Number(listening[1]));
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { child, port, exited };
}
