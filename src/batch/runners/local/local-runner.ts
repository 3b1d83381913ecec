import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { LineSplitter } from '../line-splitter.ts';
import type { RunIo, Runner, RunOutcome, RunSpec } from '../runner.ts';
import { type SpawnedProcess, sharedProcessHost } from './process-host.ts';

/** node's `spawn`, or a wrapper or fake of it in tests. */
export type Spawner = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/**
 * How the local runner starts a process: through the process host by default (see
 * {@link ProcessHost}); node's `spawn`, a wrapper or a fake in tests.
 */
export type ProcessStarter = (
  command: string,
  args: readonly string[],
  options: SpawnOptions,
) => SpawnedProcess;

export interface LocalRunnerProps {
  spawn?: ProcessStarter;
  /** Sends a signal to a process group (negative pid); `process.kill` by default. */
  kill?: (pid: number, signal: NodeJS.Signals) => void;
  /** Between SIGTERM and SIGKILL when a run is stopped. */
  killGraceMs?: number;
  /**
   * The server's environment, of which only {@link inheritedVariables} reach a job: a job never
   * sees the server's own secrets (DATABASE_URL, SMTP_URL…), only its declared env.
   */
  baseEnv?: NodeJS.ProcessEnv;
  /**
   * Apply the job's `memory` (MiB) as the data-size limit of its process (`ulimit -d`, RLIMIT_DATA:
   * heap and private writable mappings, which is what grows when a process uses memory). Default:
   * on every platform but Windows. A container runner enforces `memory` exactly (cgroups).
   */
  limitMemory?: boolean;
  /**
   * Why a job's `workdir` cannot be its working directory, or null when it can; checked before
   * each start. By default {@link workdirProblem} on this machine's file system.
   */
  checkWorkdir?: (dir: string) => Promise<RunOutcome | null>;
}

/**
 * Why `dir` cannot be a command's working directory, as an outcome (null when it can): spawn()
 * would only say `spawn /bin/sh ENOENT`, naming the command. A directory that does not exist, is
 * a file or may not be entered is a setting to fix, not retried; another error (EIO on a
 * network mount, say) may pass, and is retried when the job is retryable.
 *
 * @example
 * await workdirProblem('/x/y'); // { exitCode: null, error: 'working directory /x/y does not exist', retryable: false }
 */
export async function workdirProblem(dir: string): Promise<RunOutcome | null> {
  const fail = (error: string, retryable = false): RunOutcome => ({ exitCode: null, error, retryable });
  try {
    if (!(await stat(dir)).isDirectory()) return fail(`working directory ${dir} is not a directory`);
    await access(dir, constants.X_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return fail(`working directory ${dir} does not exist`);
    if (code === 'EACCES' || code === 'EPERM') return fail(`working directory ${dir} may not be entered`);
    return fail(`working directory ${dir}: ${(error as Error).message}`, true);
  }
}

/**
 * The argv that runs `argv` under a data-size limit of `mib` MiB: `/bin/sh` sets the limit, then
 * execs the command, which keeps its pid and process group.
 *
 * @example
 * withMemoryLimit(['/work/run.sh'], 512); // ['/bin/sh', '-c', 'ulimit -d 524288 && exec "$@"', 'enquete-job', '/work/run.sh']
 */
export function withMemoryLimit(argv: readonly string[], mib: number): string[] {
  const kib = Math.max(1, Math.round(mib * 1024));
  return ['/bin/sh', '-c', `ulimit -d ${kib} && exec "$@"`, 'enquete-job', ...argv];
}

/** The variables a local job inherits from the server, so that commands are found and text is decoded. */
export const inheritedVariables = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'SHELL'];

/**
 * Runs a job as a child process on this machine. The child leads its own process group, so that a
 * timeout or cancel (SIGTERM, then SIGKILL after a grace period) reaches its children too; when
 * the child exits, whatever it left running in its group is stopped the same way. Output is cut
 * into lines for the run log.
 *
 * @example
 * const runner = new LocalRunner();
 * const outcome = await runner.run(spec, { onLine, onNote, signal });
 */
export class LocalRunner implements Runner {
  readonly kind = 'local' as const;
  readonly #spawn: ProcessStarter;
  readonly #kill: (pid: number, signal: NodeJS.Signals) => void;
  readonly #graceMs: number;
  readonly #baseEnv: Record<string, string>;
  readonly #limitMemory: boolean;
  readonly #checkWorkdir: (dir: string) => Promise<RunOutcome | null>;

  constructor(props: LocalRunnerProps = {}) {
    this.#spawn =
      props.spawn ?? ((command, args, options) => sharedProcessHost().spawn(command, args, options));
    this.#kill = props.kill ?? ((pid, signal) => process.kill(pid, signal));
    this.#graceMs = props.killGraceMs ?? 5_000;
    this.#limitMemory = props.limitMemory ?? process.platform !== 'win32';
    this.#checkWorkdir = props.checkWorkdir ?? workdirProblem;
    const base = props.baseEnv ?? process.env;
    this.#baseEnv = Object.fromEntries(
      inheritedVariables.flatMap((k) => (base[k] === undefined ? [] : [[k, base[k]]])),
    );
  }

  async run(spec: RunSpec, io: RunIo): Promise<RunOutcome> {
    if (spec.command.length === 0) return { exitCode: null, error: 'the job has no cmd', retryable: false };
    if (spec.workdir !== null) {
      const problem = await this.#checkWorkdir(spec.workdir);
      if (problem) return problem;
    }
    return this.#start(spec, io);
  }

  #start(spec: RunSpec, io: RunIo): Promise<RunOutcome> {
    const limited = this.#limitMemory && spec.memory !== null && spec.memory > 0;
    const argv = limited ? withMemoryLimit(spec.command, spec.memory!) : spec.command;
    const [command, ...args] = argv as [string, ...string[]];
    return new Promise((resolve) => {
      let child: SpawnedProcess;
      try {
        child = this.#spawn(command, args, {
          cwd: spec.workdir ?? undefined,
          env: { ...this.#baseEnv, ...spec.env },
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (error) {
        resolve({ exitCode: null, error: `cannot start: ${String(error)}`, retryable: false });
        return;
      }
      const out = new LineSplitter((line) => io.onLine('stdout', line), undefined, io.secrets);
      const err = new LineSplitter((line) => io.onLine('stderr', line), undefined, io.secrets);
      child.stdout?.on('data', (b: Buffer) => out.push(b));
      child.stderr?.on('data', (b: Buffer) => err.push(b));

      let stopping: NodeJS.Signals | null = null;
      let killTimer: NodeJS.Timeout | undefined;
      /** A stop asked for before the host reported the pid: done when it does. */
      let stopWhenStarted = false;
      const stopGroup = () => {
        if (child.pid === undefined) {
          stopWhenStarted = true;
          return;
        }
        if (killTimer) return;
        this.#signalGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => this.#signalGroup(child.pid!, 'SIGKILL'), this.#graceMs);
        killTimer.unref();
      };
      const onAbort = () => {
        stopping = 'SIGTERM';
        stopGroup();
      };
      if (io.signal.aborted) onAbort();
      else io.signal.addEventListener('abort', onAbort, { once: true });

      let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      if (spec.image !== null) {
        // The original list form names an image for ECS; here it runs on this machine.
        io.onNote(`image ${spec.image} is not used by the local runner; set runner: container to run in it`);
      }
      const started = () => {
        io.onNote(
          `started process ${child.pid} (${this.kind} runner${limited ? `, data limit ${spec.memory} MiB` : ''})`,
        );
        if (stopWhenStarted) stopGroup();
      };
      // node's spawn() returns once the child has exec'd, with its pid: noted now, not on the
      // 'spawn' event, which waits until a burst of synchronous spawns is over. The host reports
      // the pid with its 'spawn' event.
      if (child.pid !== undefined) started();
      else child.once('spawn', started);
      child.once('exit', (code, signal) => {
        exit = { code, signal };
        // Children left behind would keep the output pipes open and outlive the run.
        stopGroup();
      });
      child.once('error', (error) => {
        if (exit) return;
        io.signal.removeEventListener('abort', onAbort);
        clearTimeout(killTimer);
        if (child.pid === undefined) {
          resolve({ exitCode: null, error: `cannot start ${command}: ${error.message}`, retryable: false });
          return;
        }
        // It ran, and is out of reach (the process host died): stop what is left of it; another
        // attempt may do better.
        this.#signalGroup(child.pid, 'SIGKILL');
        resolve({ exitCode: null, error: `lost process ${child.pid}: ${error.message}`, retryable: true });
      });
      child.once('close', () => {
        io.signal.removeEventListener('abort', onAbort);
        clearTimeout(killTimer);
        out.end();
        err.end();
        if (!exit) return;
        const { code, signal } = exit;
        if (stopping || signal) {
          resolve({ exitCode: code, error: `stopped by ${signal ?? stopping}`, retryable: true });
        } else {
          resolve({ exitCode: code, error: null, retryable: true });
        }
      });
    });
  }

  #signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
      this.#kill(-pid, signal);
    } catch (error) {
      // ESRCH: the group is already gone, which is what we want.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}
