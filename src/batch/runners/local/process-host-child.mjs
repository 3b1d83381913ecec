// The process host: a small Node process, forked once by the launcher, that starts the local
// runner's job processes and relays their output and exit over its IPC channel (see
// process-host.ts). Plain JavaScript run by plain node, so that it stays small: Linux's fork()
// copies the page tables of the process that spawns, which from a server with a few hundred MB
// takes 10–40 ms during which the server's event loop would stand still.
//
// When the launcher goes away (its IPC channel closes: it exited, crashed or was killed), the
// host stops every job it started, process group and all (SIGTERM, then SIGKILL after the
// grace period), and exits: no job outlives the launcher that was watching it.
import { spawn } from 'node:child_process';

const graceMs = Number(process.env['ENQUETE_HOST_GRACE_MS'] ?? '5000');
/** Messages written but not yet handed to the channel; output is paused above `maxPending`. */
const maxPending = 64;

/** @type {Map<number, import('node:child_process').ChildProcess>} */
const live = new Map();
let pending = 0;
let paused = false;

/** @param {object} message */
function send(message) {
  if (!process.connected) return;
  pending++;
  process.send(message, undefined, undefined, () => {
    pending--;
    if (paused && pending < maxPending / 2) {
      paused = false;
      for (const child of live.values()) {
        child.stdout?.resume();
        child.stderr?.resume();
      }
    }
  });
  if (!paused && pending >= maxPending) {
    paused = true;
    for (const child of live.values()) {
      child.stdout?.pause();
      child.stderr?.pause();
    }
  }
}

/** @param {number} pid @param {NodeJS.Signals} signal */
function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/** @param {{ id: number, command: string, args: string[], cwd?: string, env: Record<string, string> }} m */
function start(m) {
  /** @type {import('node:child_process').ChildProcess} */
  let child;
  try {
    child = spawn(m.command, m.args, {
      cwd: m.cwd,
      env: m.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    send({ t: 'error', id: m.id, message: String(/** @type {Error} */ (error).message ?? error) });
    send({ t: 'close', id: m.id, code: null, signal: null });
    return;
  }
  if (child.pid !== undefined) {
    live.set(m.id, child);
    send({ t: 'spawn', id: m.id, pid: child.pid });
  }
  if (paused) {
    child.stdout?.pause();
    child.stderr?.pause();
  }
  child.stdout?.on('data', (/** @type {Buffer} */ b) =>
    send({ t: 'out', id: m.id, stream: 'stdout', data: b }),
  );
  child.stderr?.on('data', (/** @type {Buffer} */ b) =>
    send({ t: 'out', id: m.id, stream: 'stderr', data: b }),
  );
  child.once('error', (error) => send({ t: 'error', id: m.id, message: error.message }));
  child.once('exit', (code, signal) => send({ t: 'exit', id: m.id, code, signal }));
  child.once('close', (code, signal) => {
    live.delete(m.id);
    send({ t: 'close', id: m.id, code, signal });
  });
}

process.on('message', (/** @type {{ t: string } & Record<string, unknown>} */ m) => {
  if (m.t === 'spawn') start(/** @type {never} */ (m));
});

/** @param {number} pid */
function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

// A terminal's Ctrl-C or hangup reaches the whole foreground group, this host too: the launcher
// decides what happens to its jobs (SIGHUP reloads it), and its going away is the host's cue.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});

let stopping = false;

function stopAll() {
  if (stopping) return;
  stopping = true;
  const pids = [...live.values()].map((c) => c.pid).filter((pid) => pid !== undefined);
  for (const pid of pids) signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  const check = setInterval(() => {
    const left = pids.filter(groupAlive);
    if (left.length > 0 && Date.now() < deadline) return;
    for (const pid of left) signalGroup(pid, 'SIGKILL');
    clearInterval(check);
    process.exit(0);
  }, 50);
}

process.on('disconnect', stopAll);
process.on('SIGTERM', stopAll);
