import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { LineSplitter } from '../line-splitter.ts';
import type { Spawner } from '../local/local-runner.ts';
import type { RunIo, Runner, RunOutcome, RunSpec } from '../runner.ts';
import { settingMs } from '../settings-fields.ts';
import { containerName, runArgs, splitEnv } from './container-args.ts';
import { engineCommand, findEngine } from './container-engine.ts';
import type { ContainerSettings } from './container-settings.ts';

export interface ContainerRunnerProps {
  /** The settings, or a function giving each job's (shared settings with its own over them). */
  settings?: ContainerSettings | ((spec: RunSpec) => ContainerSettings);
  spawn?: Spawner;
  /** The engine's environment (PATH, HOME, XDG_RUNTIME_DIR, CONTAINERS_CONF…); `process.env` by default. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Where the short-lived env files go; the system's temporary directory by default. */
  tmpDir?: string;
}

/** Output lines of the engine kept to explain a failure to start (exit codes 125–127). */
const tailLines = 10;

/**
 * Runs a job's image with podman or docker on this machine: `cpu` and `memory` (ECS units, MiB)
 * become `--cpus` and `--memory`, the env reaches the container through a 0600 env file that is
 * removed afterwards, and the container is named after the run attempt. A timeout or cancel stops
 * the container (`stop`: SIGTERM, then SIGKILL after `stopGrace`); what is left is removed.
 *
 * @example
 * const runner = new ContainerRunner({ settings: { network: 'none' } });
 * const outcome = await runner.run(spec, { onLine, onNote, signal });
 */
export class ContainerRunner implements Runner {
  readonly kind = 'container' as const;
  readonly #settings: (spec: RunSpec) => ContainerSettings;
  readonly #spawn: Spawner;
  readonly #baseEnv: NodeJS.ProcessEnv;
  readonly #tmpDir: string;

  constructor(props: ContainerRunnerProps = {}) {
    const s = props.settings ?? {};
    this.#settings = typeof s === 'function' ? s : () => s;
    this.#spawn = props.spawn ?? nodeSpawn;
    this.#baseEnv = props.baseEnv ?? process.env;
    this.#tmpDir = props.tmpDir ?? tmpdir();
  }

  async run(spec: RunSpec, io: RunIo): Promise<RunOutcome> {
    if (!spec.image) return { exitCode: null, error: 'the job has no image', retryable: false };
    const settings = this.#settings(spec);
    const engine = findEngine(settings.engine, this.#baseEnv['PATH']);
    if (engine === null) {
      const wanted = settings.engine ?? 'podman or docker';
      return { exitCode: null, error: `no container engine: ${wanted} not found`, retryable: false };
    }
    const name = containerName(spec);
    // A container of this very attempt exists only if a launcher died while running it.
    await engineCommand(engine, ['rm', '-f', name], this.#baseEnv, this.#spawn);
    if (io.signal.aborted) return { exitCode: null, error: 'stopped before the start', retryable: true };
    const dir = await mkdtemp(join(this.#tmpDir, 'enquete-env-'));
    let leftover = true;
    try {
      const { file, inherited } = splitEnv(spec.env);
      let envFile: string | null = null;
      if (file !== '') {
        envFile = join(dir, 'env');
        await writeFile(envFile, file, { mode: 0o600 });
      }
      const args = runArgs(spec, settings, { name, envFile, inherited: Object.keys(inherited) });
      io.onNote(`starting container ${name} from ${spec.image} (${basename(engine)})`);
      const result = await this.#attach(engine, args, { ...this.#baseEnv, ...inherited }, name, settings, io);
      leftover = result.leftover;
      return result.outcome;
    } finally {
      await rm(dir, { recursive: true, force: true });
      if (leftover) await engineCommand(engine, ['rm', '-f', name], this.#baseEnv, this.#spawn);
    }
  }

  #attach(
    engine: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    name: string,
    settings: ContainerSettings,
    io: RunIo,
  ): Promise<{ outcome: RunOutcome; leftover: boolean }> {
    const graceMs = settingMs(settings.stopGrace, 5_000);
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = this.#spawn(engine, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (error) {
        resolve({ outcome: cannotStart(engine, error), leftover: false });
        return;
      }
      const tail: string[] = [];
      const out = new LineSplitter((line) => io.onLine('stdout', line), undefined, io.secrets);
      const err = new LineSplitter(
        (line) => {
          tail.push(line);
          if (tail.length > tailLines) tail.shift();
          io.onLine('stderr', line);
        },
        undefined,
        io.secrets,
      );
      child.stdout?.on('data', (b: Buffer) => out.push(b));
      child.stderr?.on('data', (b: Buffer) => err.push(b));

      let closed = false;
      let stopping = false;
      let killTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        if (stopping) return;
        stopping = true;
        io.onNote(`stopping container ${name} (${String(io.signal.reason ?? 'stop')})`);
        void this.#stop(engine, name, graceMs, () => closed);
        // Should the engine not answer, its client goes; the container is then removed below.
        killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs + 30_000);
        killTimer.unref();
      };
      if (io.signal.aborted) onAbort();
      else io.signal.addEventListener('abort', onAbort, { once: true });

      let failed: unknown = null;
      child.once('error', (error) => {
        failed = error;
      });
      child.once('close', (code, signal) => {
        closed = true;
        io.signal.removeEventListener('abort', onAbort);
        clearTimeout(killTimer);
        out.end();
        err.end();
        if (failed !== null) {
          resolve({ outcome: cannotStart(engine, failed), leftover: false });
        } else if (stopping) {
          resolve({
            outcome: { exitCode: code, error: `stopped (${name})`, retryable: true },
            leftover: true,
          });
        } else if (code === null) {
          const outcome = {
            exitCode: null,
            error: `${basename(engine)} ended by ${signal}`,
            retryable: true,
          };
          resolve({ outcome, leftover: true });
        } else {
          resolve({ outcome: classifyExit(code, tail), leftover: code >= 125 });
        }
      });
    });
  }

  /** `stop` until the container is gone; it may not exist yet when the run is stopped early. */
  async #stop(engine: string, name: string, graceMs: number, closed: () => boolean): Promise<void> {
    const seconds = String(Math.ceil(graceMs / 1000));
    while (!closed()) {
      await engineCommand(engine, ['stop', '-t', seconds, name], this.#baseEnv, this.#spawn);
      if (closed()) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function cannotStart(engine: string, error: unknown): RunOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: null, error: `cannot start ${basename(engine)}: ${message}`, retryable: false };
}

const unknownImage =
  /image not known|manifest unknown|no such image|repository does not exist|pull access denied|not found: manifest|invalid reference format/i;
const unrunnable = /executable file not found|permission denied|no such file or directory|exec format error/i;

/**
 * An exit code of `podman run`/`docker run`: 125 means the engine failed (retrying helps unless
 * the image is unknown), 126 and 127 with the OCI runtime's words mean the command cannot run in
 * the image; any other code is the container's own.
 */
export function classifyExit(code: number, stderrTail: string[]): RunOutcome {
  const last = stderrTail.at(-1) ?? '';
  const text = stderrTail.join('\n');
  if (code === 125) {
    const error = `the container engine failed: ${last || 'exit code 125'}`;
    return { exitCode: code, error, retryable: !unknownImage.test(text) };
  }
  if ((code === 126 || code === 127) && /OCI runtime|runc|crun|starting container process/i.test(text)) {
    if (unrunnable.test(text)) {
      return { exitCode: code, error: `the command cannot run in the image: ${last}`, retryable: false };
    }
  }
  return { exitCode: code, error: null, retryable: true };
}
