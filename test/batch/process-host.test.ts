import { afterEach, describe, expect, it } from 'vitest';
import { type HostedProcess, ProcessHost } from '../../src/batch/runners/local/process-host.ts';
import { alive, eventually } from './helpers/processes.ts';

/** Everything a hosted process reported, once it closed. */
function outcome(proc: HostedProcess) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const events: string[] = [];
  proc.stdout.on('data', (b: Buffer) => out.push(b));
  proc.stderr.on('data', (b: Buffer) => err.push(b));
  proc.once('spawn', () => events.push('spawn'));
  proc.once('error', (e) => events.push(`error: ${e.message}`));
  proc.once('exit', (code, signal) => events.push(`exit ${code} ${signal}`));
  return new Promise<{ out: string; err: string; bytes: number; events: string[]; code: number | null }>(
    (resolve) =>
      proc.once('close', (code) => {
        events.push('close');
        const stdout = Buffer.concat(out);
        resolve({
          out: stdout.toString(),
          err: Buffer.concat(err).toString(),
          bytes: stdout.length,
          events,
          code,
        });
      }),
  );
}

describe('the process host', () => {
  const hosts: ProcessHost[] = [];
  const make = () => {
    const host = new ProcessHost({ graceMs: 500 });
    hosts.push(host);
    return host;
  };
  afterEach(() => {
    for (const h of hosts.splice(0)) if (h.pid && alive(h.pid)) process.kill(h.pid, 'SIGKILL');
  });

  it('runs a command with only the env it is given, and relays output and exit code', async () => {
    process.env['HOST_TEST_SECRET'] = 'not-for-jobs';
    try {
      const host = make();
      const proc = host.spawn(
        '/bin/sh',
        ['-c', 'echo "A=$A"; env | grep -c HOST_TEST_SECRET; echo oops >&2; exit 3'],
        {
          env: { A: 'one', PATH: process.env['PATH'] ?? '' },
        },
      );
      const r = await outcome(proc);
      expect(r).toMatchObject({ out: 'A=one\n0\n', err: 'oops\n', code: 3 });
      expect(r.events).toEqual(['spawn', 'exit 3 null', 'close']);
      expect(proc.pid).toBeGreaterThan(0);
      expect(proc.pid).not.toBe(host.pid);
    } finally {
      delete process.env['HOST_TEST_SECRET'];
    }
  });

  it('relays a large output whole, in order', async () => {
    const host = make();
    // 20 MB: far more than the channel holds at once, so the host pauses and resumes the pipe.
    const r = await outcome(
      host.spawn('/bin/sh', ['-c', 'seq 1 2500000'], { env: { PATH: process.env['PATH'] ?? '' } }),
    );
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(2_500_000);
    expect(lines[0]).toBe('1');
    expect(lines[1_234_566]).toBe('1234567');
    expect(lines.at(-1)).toBe('2500000');
  });

  it('reports a command that cannot start', async () => {
    const r = await outcome(make().spawn('/nonexistent/command', [], { env: {} }));
    expect(r.events[0]).toMatch(/^error: spawn \/nonexistent\/command ENOENT$/);
    expect(r.events.at(-1)).toBe('close');
  });

  it('reports the processes of a host that died, and starts a new host for the next', async () => {
    const host = make();
    const running = host.spawn('/bin/sleep', ['300'], { env: {} });
    const done = outcome(running);
    await eventually(() => running.pid);
    const first = host.pid!;
    process.kill(first, 'SIGKILL');
    const r = await done;
    expect(r.events).toEqual(['spawn', 'error: the process host stopped', 'close']);
    // The host died without stopping its job: the launcher stops the group as it would on cancel.
    process.kill(-running.pid!, 'SIGKILL');
    const next = await outcome(host.spawn('/bin/echo', ['again'], { env: {} }));
    expect(next.out).toBe('again\n');
    expect(host.pid).not.toBe(first);
  });
});
