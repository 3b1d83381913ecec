import { type ChildProcess, fork, type SpawnOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';

/** What the local runner uses of a started process: node's ChildProcess has it, so does {@link HostedProcess}. */
export interface SpawnedProcess {
  /** Set once the process runs: at once for node's spawn, when the host reports it otherwise. */
  readonly pid?: number | undefined;
  readonly stdout: NodeJS.EventEmitter | null;
  readonly stderr: NodeJS.EventEmitter | null;
  once(event: 'spawn', listener: () => void): this;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'error', listener: (error: Error) => void): this;
  once(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

type HostMessage =
  | { t: 'spawn'; id: number; pid: number }
  | { t: 'out'; id: number; stream: 'stdout' | 'stderr'; data: Uint8Array }
  | { t: 'error'; id: number; message: string }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { t: 'close'; id: number; code: number | null; signal: NodeJS.Signals | null };

/** A process started by the host, seen from the launcher: the events of a ChildProcess, relayed. */
export class HostedProcess extends EventEmitter implements SpawnedProcess {
  pid: number | undefined;
  readonly stdout = new EventEmitter();
  readonly stderr = new EventEmitter();
  #exited = false;
  #closed = false;

  /** @internal */
  receive(m: HostMessage): void {
    switch (m.t) {
      case 'spawn':
        this.pid = m.pid;
        this.emit('spawn');
        return;
      case 'out':
        (m.stream === 'stdout' ? this.stdout : this.stderr).emit(
          'data',
          Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength),
        );
        return;
      case 'error':
        this.emit('error', new Error(m.message));
        return;
      case 'exit':
        this.#exited = true;
        this.emit('exit', m.code, m.signal);
        return;
      case 'close':
        this.#closed = true;
        this.emit('close', m.code, m.signal);
        return;
    }
  }

  /** @internal The host died: the process is out of reach (the host stopped it on its way out). */
  lost(): void {
    if (this.#closed) return;
    if (!this.#exited) this.emit('error', new Error('the process host stopped'));
    this.#closed = true;
    this.emit('close', null, null);
  }
}

const childScript = fileURLToPath(new URL('./process-host-child.mjs', import.meta.url));

/**
 * Starts the local runner's processes from a small Node process of its own, forked once and
 * started again if it dies. Two reasons. Linux's fork() copies the page tables of the process
 * that spawns: from a server holding a few hundred MB that takes 10–40 ms, during which every
 * request waits; from the host it is about a millisecond, and not on the server's event loop.
 * And when the launcher dies — even by SIGKILL — the host sees its IPC channel close and stops
 * every job it started, process group and all, so a recovered run is never retried next to
 * an orphan of its lost attempt.
 *
 * @example
 * const host = new ProcessHost();
 * const child = host.spawn('/bin/echo', ['hi'], { env: { PATH: '/usr/bin' } });
 * child.stdout.on('data', (b) => process.stdout.write(b));
 */
export class ProcessHost {
  #child: ChildProcess | undefined;
  readonly #procs = new Map<number, HostedProcess>();
  #next = 0;
  readonly #graceMs: number;

  /** `graceMs`: between SIGTERM and SIGKILL for the jobs the host stops when the launcher is gone. */
  constructor(props: { graceMs?: number } = {}) {
    this.#graceMs = props.graceMs ?? 5_000;
  }

  spawn(command: string, args: readonly string[], options: SpawnOptions): HostedProcess {
    const host = this.#host();
    const id = ++this.#next;
    const proc = new HostedProcess();
    this.#procs.set(id, proc);
    this.#refresh();
    host.send({
      t: 'spawn',
      id,
      command,
      args: [...args],
      cwd: typeof options.cwd === 'string' ? options.cwd : options.cwd?.pathname,
      env: options.env ?? {},
    });
    return proc;
  }

  /** The host's pid, once started (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  #host(): ChildProcess {
    if (this.#child?.connected) return this.#child;
    const child = fork(childScript, [], {
      // Plain node: no loader of the parent's, no TypeScript, a small process to fork from.
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Nothing of the server's environment (DATABASE_URL, SMTP_URL…): each job gets its own.
      env: { PATH: process.env['PATH'] ?? '', ENQUETE_HOST_GRACE_MS: String(this.#graceMs) },
    });
    child.on('message', (m: HostMessage) => {
      const proc = this.#procs.get(m.id);
      if (!proc) return;
      if (m.t === 'close') this.#procs.delete(m.id);
      proc.receive(m);
      if (m.t === 'close') this.#refresh();
    });
    // Spawning on a dead channel is reported through the processes it concerns, not thrown.
    child.on('error', () => {});
    // 'close' comes after the last message: what the host sent before it died is delivered first.
    child.once('close', () => {
      if (this.#child === child) this.#child = undefined;
      const lost = [...this.#procs.values()];
      this.#procs.clear();
      for (const proc of lost) proc.lost();
    });
    this.#child = child;
    return child;
  }

  /** The host keeps the launcher alive only while it runs something. */
  #refresh(): void {
    const child = this.#child;
    if (!child) return;
    if (this.#procs.size > 0) {
      child.ref();
      child.channel?.ref();
    } else {
      child.unref();
      child.channel?.unref();
    }
  }
}

let shared: ProcessHost | undefined;

/** The process host of this process, started on first use. */
export function sharedProcessHost(): ProcessHost {
  shared ??= new ProcessHost();
  return shared;
}
