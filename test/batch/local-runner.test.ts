import type { SpawnOptions } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCommand } from '../../src/batch/runners/command.ts';
import { LocalRunner } from '../../src/batch/runners/local/local-runner.ts';
import { ProcessHost } from '../../src/batch/runners/local/process-host.ts';
import type { LogStream, RunSpec } from '../../src/batch/runners/runner.ts';
import { alive, eventually, groupMembers } from './helpers/processes.ts';

function spec(command: string[], env: Record<string, string> = {}): RunSpec {
  return {
    runId: 'run_1',
    job: 'j',
    attempt: 1,
    date: '20260301',
    image: null,
    command,
    env: { DATE: '20260301', ...env },
    workdir: null,
    cpu: null,
    memory: null,
  };
}

function collector() {
  const lines: [LogStream | 'note', string][] = [];
  return {
    lines,
    io: (signal = new AbortController().signal) => ({
      onLine: (s: LogStream, t: string) => lines.push([s, t]),
      onNote: (t: string) => lines.push(['note', t]),
      signal,
    }),
  };
}

describe('local runner', () => {
  it('names a working directory that does not exist or is a file, and starts nothing there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enquete-workdir-'));
    try {
      writeFileSync(join(dir, 'file'), '');
      const runIn = async (workdir: string) => {
        const c = collector();
        const outcome = await new LocalRunner().run({ ...spec(['pwd']), workdir }, c.io());
        return { outcome, lines: c.lines };
      };
      expect(await runIn(join(dir, 'x', 'y'))).toEqual({
        outcome: { exitCode: null, error: `working directory ${dir}/x/y does not exist`, retryable: false },
        lines: [],
      });
      expect(await runIn(join(dir, 'file', 'y'))).toEqual({
        outcome: {
          exitCode: null,
          error: `working directory ${dir}/file/y does not exist`,
          retryable: false,
        },
        lines: [],
      });
      expect(await runIn(join(dir, 'file'))).toEqual({
        outcome: {
          exitCode: null,
          error: `working directory ${dir}/file is not a directory`,
          retryable: false,
        },
        lines: [],
      });
      const ok = await runIn(dir);
      expect(ok.outcome).toEqual({ exitCode: 0, error: null, retryable: true });
      expect(ok.lines.filter(([s]) => s === 'stdout')).toEqual([['stdout', dir]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes DATE and {date}, appends args, and captures both streams line by line', async () => {
    const c = collector();
    const command = buildCommand(
      { cmd: 'echo "date=$DATE {date}"; printf "a\\r\\nb" >&2; echo', args: ['x {date}'] },
      '20260301',
    );
    expect(command).toEqual([
      '/bin/sh',
      '-c',
      `echo "date=$DATE 20260301"; printf "a\\r\\nb" >&2; echo 'x 20260301'`,
    ]);
    const outcome = await new LocalRunner().run(spec(command), c.io());
    expect(outcome).toEqual({ exitCode: 0, error: null, retryable: true });
    expect(c.lines.filter(([s]) => s === 'stdout')).toEqual([
      ['stdout', 'date=20260301 20260301'],
      ['stdout', 'x 20260301'],
    ]);
    expect(c.lines.filter(([s]) => s === 'stderr')).toEqual([
      ['stderr', 'a'],
      ['stderr', 'b'],
    ]);
    expect(c.lines[0]?.[1]).toMatch(/^started process \d+ \(local runner\)$/);
  });

  it('limits the data size of a job with memory to that many MiB, and a process over it fails', async () => {
    const c = collector();
    const limited = (memory: number, command: string[]) => ({ ...spec(command), memory });
    const shown = await new LocalRunner().run(limited(256, ['/bin/sh', '-c', 'ulimit -d']), c.io());
    expect(shown).toEqual({ exitCode: 0, error: null, retryable: true });
    // 256 MiB = 262,144 KiB, as ulimit counts.
    expect(c.lines.filter(([s]) => s === 'stdout')).toEqual([['stdout', '262144']]);
    expect(c.lines[0]?.[1]).toMatch(/^started process \d+ \(local runner, data limit 256 MiB\)$/);

    // A 200 MB string under a 64 MiB limit cannot be made; a 20 MB one under 512 MiB can.
    const grow = (bytes: number) => ['awk', `BEGIN { s = sprintf("%${bytes}s", ""); print length(s) }`];
    const over = collector();
    const failed = await new LocalRunner().run(limited(64, grow(200_000_000)), over.io());
    expect(failed.exitCode).not.toBe(0);
    expect(over.lines.filter(([s]) => s === 'stdout')).toEqual([]);
    const under = collector();
    const fine = await new LocalRunner().run(limited(512, grow(20_000_000)), under.io());
    expect(fine.exitCode).toBe(0);
    expect(under.lines.filter(([s]) => s === 'stdout')).toEqual([['stdout', '20000000']]);
    // Without memory, no limit is set.
    const free = collector();
    await new LocalRunner().run(spec(['/bin/sh', '-c', 'ulimit -d']), free.io());
    expect(free.lines.filter(([s]) => s === 'stdout')).toEqual([['stdout', 'unlimited']]);
  });

  it('says in the log that a job image is not used by the local runner', async () => {
    const c = collector();
    const outcome = await new LocalRunner().run(
      { ...spec(['true']), image: 'ibis-container:latest' },
      c.io(),
    );
    expect(outcome.exitCode).toBe(0);
    expect(c.lines[0]).toEqual([
      'note',
      'image ibis-container:latest is not used by the local runner; set runner: container to run in it',
    ]);
  });

  it('reports the exit code', async () => {
    const outcome = await new LocalRunner().run(spec(['/bin/sh', '-c', 'exit 3']), collector().io());
    expect(outcome).toEqual({ exitCode: 3, error: null, retryable: true });
  });

  it('runs a list command without a shell and appends args', async () => {
    const c = collector();
    const command = buildCommand({ cmd: ['printf', '%s|%s\\n'], args: ['{date}', "it's"] }, '20260301');
    const outcome = await new LocalRunner().run(spec(command), c.io());
    expect(outcome.exitCode).toBe(0);
    expect(c.lines.filter(([s]) => s === 'stdout')).toEqual([['stdout', "20260301|it's"]]);
  });

  it("gives a job only its env and a few basics, never the server's secrets", async () => {
    const c = collector();
    const runner = new LocalRunner({
      baseEnv: { PATH: process.env['PATH'], DATABASE_URL: 'postgres://server-secret', HOME: '/home/x' },
    });
    await runner.run(spec(['/usr/bin/env'], { JOB_VAR: 'v' }), c.io());
    const vars = c.lines
      .filter(([s]) => s === 'stdout')
      .map(([, t]) => t.split('=')[0])
      .sort();
    expect(vars).toEqual(['DATE', 'HOME', 'JOB_VAR', 'PATH']);
  });

  it('answers a missing command with a non-retryable error', async () => {
    const outcome = await new LocalRunner().run(spec(['/nonexistent/command']), collector().io());
    expect(outcome.exitCode).toBeNull();
    expect(outcome.retryable).toBe(false);
    expect(outcome.error).toContain('ENOENT');
  });

  it('stops a job whose process host died, and calls it a retryable failure', async () => {
    const host = new ProcessHost();
    const runner = new LocalRunner({ spawn: (command, args, options) => host.spawn(command, args, options) });
    const c = collector();
    const done = runner.run(spec(['/bin/sh', '-c', 'echo up; exec sleep 300']), c.io());
    await eventually(() => (c.lines.some(([, t]) => t === 'up') ? true : undefined));
    const leader = Number(/started process (\d+)/.exec(c.lines.map(([, t]) => t).join('\n'))![1]);
    process.kill(host.pid!, 'SIGKILL');
    expect(await done).toEqual({
      exitCode: null,
      error: `lost process ${leader}: the process host stopped`,
      retryable: true,
    });
    await eventually(() => (groupMembers(leader).length === 0 ? true : undefined));
  });

  it('kills the whole process group when stopped', async () => {
    let leader = 0;
    const runner = new LocalRunner({
      killGraceMs: 500,
      spawn: (command: string, args: readonly string[], options: SpawnOptions) => {
        const child = spawn(command, args, options);
        leader = child.pid ?? 0;
        return child;
      },
    });
    const abort = new AbortController();
    const c = collector();
    const done = runner.run(
      spec(buildCommand({ cmd: "sh -c 'sleep 300 & sleep 300'", args: [] }, 'x')),
      c.io(abort.signal),
    );
    const sleeps = await eventually(() => {
      const members = groupMembers(leader).filter((p) => p.comm === 'sleep');
      return members.length === 2 ? members : undefined;
    });
    abort.abort('cancel');
    const outcome = await done;
    expect(outcome.error).toBe('stopped by SIGTERM');
    for (const p of sleeps) await eventually(() => (alive(p.pid) ? undefined : true));
    expect(groupMembers(leader)).toEqual([]);
  });
});
