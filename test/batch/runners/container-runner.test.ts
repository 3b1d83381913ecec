import { type SpawnOptions, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCommand } from '../../../src/batch/runners/command.ts';
import {
  containerName,
  cpusFlag,
  memoryFlag,
  runArgs,
  splitEnv,
} from '../../../src/batch/runners/container/container-args.ts';
import { ContainerRunner, classifyExit } from '../../../src/batch/runners/container/container-runner.ts';
import type { ContainerSettings } from '../../../src/batch/runners/container/container-settings.ts';
import type { Spawner } from '../../../src/batch/runners/local/local-runner.ts';
import type { LogStream, RunSpec } from '../../../src/batch/runners/runner.ts';
import { podmanForTests, testImage } from './helpers/podman.ts';

function spec(cmd: string | string[], over: Partial<RunSpec> = {}): RunSpec {
  return {
    runId: 'run_c1',
    job: 'etl',
    attempt: 1,
    date: '20260301',
    image: testImage,
    command: buildCommand({ cmd, args: [] }, '20260301'),
    env: { DATE: '20260301' },
    workdir: null,
    cpu: null,
    memory: null,
    ...over,
  };
}

function collector() {
  const lines: [LogStream | 'note', string][] = [];
  return {
    lines,
    out: () => lines.filter(([s]) => s === 'stdout').map(([, t]) => t),
    io: (signal = new AbortController().signal) => ({
      onLine: (s: LogStream, t: string) => lines.push([s, t]),
      onNote: (t: string) => lines.push(['note', t]),
      signal,
    }),
  };
}

describe('container runner arguments', () => {
  it('turns ECS units into --cpus and --memory: 256 → 0.25, 512 → 512m', () => {
    expect([256, 512, 1024, 2048, 100].map(cpusFlag)).toEqual(['0.25', '0.5', '1', '2', '0.098']);
    expect([512, 1024, 300.5].map(memoryFlag)).toEqual(['512m', '1024m', '301m']);
    const args = runArgs(
      spec('echo hi', { cpu: 256, memory: 512, workdir: '/work' }),
      { network: 'none', mounts: ['/srv/in:/in:ro', '/srv/out:/out'] },
      { name: 'n', envFile: '/tmp/e/env', inherited: ['PEM'] },
    );
    expect(args).toEqual([
      'run',
      '--rm',
      '--name',
      'n',
      '--label',
      'enquete.run=run_c1',
      '--label',
      'enquete.attempt=1',
      '--label',
      'enquete.job=etl',
      '--env-file',
      '/tmp/e/env',
      '--env',
      'PEM',
      '--cpus',
      '0.25',
      '--memory',
      '512m',
      '--network',
      'none',
      '--mount',
      'type=bind,source=/srv/in,target=/in,readonly',
      '--mount',
      'type=bind,source=/srv/out,target=/out',
      '--workdir',
      '/work',
      testImage,
      '/bin/sh',
      '-c',
      'echo hi',
    ]);
  });

  it('names a container after the run attempt, the same every time', () => {
    const a = containerName({ runId: 'run_1', job: 'etl', date: '20260301', attempt: 2 });
    expect(a).toMatch(/^enquete-etl-20260301-a2-[0-9a-f]{10}$/);
    expect(containerName({ runId: 'run_1', job: 'etl', date: '20260301', attempt: 2 })).toBe(a);
    expect(containerName({ runId: 'run_2', job: 'etl', date: '20260301', attempt: 2 })).not.toBe(a);
  });

  it('puts env values in a file, or in the engine env when they span lines', () => {
    expect(splitEnv({ A: '1', B: 'x=y z', PEM: 'line1\nline2' })).toEqual({
      file: 'A=1\nB=x=y z\n',
      inherited: { PEM: 'line1\nline2' },
    });
    expect(splitEnv({})).toEqual({ file: '', inherited: {} });
  });

  it('classifies engine failures apart from the container exit code', () => {
    expect(classifyExit(3, [])).toEqual({ exitCode: 3, error: null, retryable: true });
    expect(classifyExit(125, ['Error: nope:latest: image not known'])).toEqual({
      exitCode: 125,
      error: 'the container engine failed: Error: nope:latest: image not known',
      retryable: false,
    });
    expect(classifyExit(125, ['Error: creating container storage: database is locked']).retryable).toBe(true);
    expect(classifyExit(127, ['sh: foo: not found'])).toEqual({
      exitCode: 127,
      error: null,
      retryable: true,
    });
  });
});

const setup = await podmanForTests();
if ('skip' in setup) console.warn(`\n[enquete] container runner tests skipped: ${setup.skip}\n`);
const pod = 'skip' in setup ? null : setup;

describe.skipIf(pod === null)('container runner with podman', () => {
  const envDir = mkdtempSync(join(tmpdir(), 'enquete-envfiles-'));
  afterAll(() => {
    pod?.cleanup();
    rmSync(envDir, { recursive: true, force: true });
  });
  const runner = (settings: ContainerSettings = {}, spawnFn: Spawner = spawn) =>
    new ContainerRunner({
      settings: { engine: pod!.engine, stopGrace: '1s', ...settings },
      baseEnv: pod!.env,
      tmpDir: envDir,
      spawn: spawnFn,
    });
  const names = async (name: string) =>
    (await pod!.podman('ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Names}}')).stdout.trim();

  it('passes DATE and the env into the container and streams both outputs', async () => {
    const c = collector();
    const outcome = await runner().run(
      spec('echo "DATE=$DATE mode=$MODE"; echo to-stderr >&2', { env: { DATE: '20250105', MODE: 'a b=c' } }),
      c.io(),
    );
    expect(outcome).toEqual({ exitCode: 0, error: null, retryable: true });
    expect(c.out()).toEqual(['DATE=20250105 mode=a b=c']);
    expect(c.lines).toContainEqual(['stderr', 'to-stderr']);
    const name = containerName(spec(''));
    expect(c.lines[0]).toEqual(['note', `starting container ${name} from ${testImage} (podman)`]);
    expect(await names(name)).toBe('');
  });

  it('returns the exit code of a failing command', async () => {
    const outcome = await runner().run(spec('echo failing; exit 3'), collector().io());
    expect(outcome).toEqual({ exitCode: 3, error: null, retryable: true });
  });

  it('enforces cpu 256 and memory 512 as 0.25 CPU and 512 MiB in the cgroup', async () => {
    const c = collector();
    const script = [
      'if [ -f /sys/fs/cgroup/cpu.max ]; then read q p < /sys/fs/cgroup/cpu.max; m=$(cat /sys/fs/cgroup/memory.max);',
      'else q=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us); p=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us);',
      'm=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes); fi; echo "cpu=$q/$p mem=$m"',
    ].join(' ');
    const outcome = await runner().run(spec(script, { cpu: 256, memory: 512 }), c.io());
    expect(outcome.exitCode).toBe(0);
    const [line] = c.out();
    const m = /^cpu=(\d+)\/(\d+) mem=(\d+)$/.exec(line ?? '');
    expect(m, line).not.toBeNull();
    expect(Number(m![1]) / Number(m![2])).toBe(0.25);
    expect(Number(m![3])).toBe(512 * 1024 * 1024);
  });

  it('stops and removes the container on timeout', async () => {
    const c = collector();
    const controller = new AbortController();
    const s = spec('echo started; sleep 300', { runId: 'run_timeout' });
    const name = containerName(s);
    const done = runner().run(s, c.io(controller.signal));
    for (let i = 0; i < 200 && !c.out().includes('started'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await names(name)).toBe(name);
    controller.abort('timeout');
    const outcome = await done;
    expect(outcome).toEqual({ exitCode: 137, error: `stopped (${name})`, retryable: true });
    expect(c.lines).toContainEqual(['note', `stopping container ${name} (timeout)`]);
    expect(await names(name)).toBe('');
  });

  it('removes a container left by a crashed launcher for the same attempt', async () => {
    const s = spec('echo fresh', { runId: 'run_left' });
    const name = containerName(s);
    await pod!.podman('create', '--name', name, testImage, 'sleep', '100');
    const c = collector();
    expect(await runner().run(s, c.io())).toEqual({ exitCode: 0, error: null, retryable: true });
    expect(c.out()).toEqual(['fresh']);
    expect(await names(name)).toBe('');
  });

  it('keeps env values off the command line and removes the env file', async () => {
    const calls: { args: readonly string[]; env: NodeJS.ProcessEnv | undefined }[] = [];
    const spy = (cmd: string, args: readonly string[], options: SpawnOptions) => {
      calls.push({ args, env: options.env });
      return spawn(cmd, args, options);
    };
    const c = collector();
    const secret = 'pa55-w0rd-Secret';
    const pem = '-----BEGIN KEY-----\nabc\n-----END KEY-----';
    const outcome = await runner({}, spy).run(
      spec('echo "token=$TOKEN"; echo "$PEM" | cat', { env: { DATE: '20260301', TOKEN: secret, PEM: pem } }),
      c.io(),
    );
    expect(outcome.exitCode, JSON.stringify(c.lines)).toBe(0);
    expect(c.out()).toEqual([`token=${secret}`, '-----BEGIN KEY-----', 'abc', '-----END KEY-----']);
    const run = calls.find((call) => call.args[0] === 'run')!;
    expect(run.args.join(' ')).not.toContain(secret);
    expect(run.args.join(' ')).not.toContain('abc');
    expect(run.args).toContain('--env-file');
    expect(run.env?.['PEM']).toBe(pem);
    expect(run.env?.['TOKEN']).toBeUndefined();
    expect(readdirSync(envDir)).toEqual([]);
  });

  it('applies the network and mounts of the job', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enquete-mount-'));
    writeFileSync(join(dir, 'in.txt'), 'from the host\n');
    try {
      const c = collector();
      const outcome = await runner({ network: 'none', mounts: [`${dir}:/data:ro`] }).run(
        spec('cat /data/in.txt; ls /sys/class/net; echo x > /data/out.txt || echo read-only'),
        c.io(),
      );
      expect(outcome.exitCode).toBe(0);
      expect(c.out()).toEqual(['from the host', 'lo', 'read-only']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not retry an unknown image or a command the image lacks', async () => {
    const unknown = await runner({ pull: 'never' }).run(
      spec('true', { image: 'localhost/enquete-no-such-image:1', runId: 'run_u' }),
      collector().io(),
    );
    expect(unknown).toMatchObject({ exitCode: 125, retryable: false });
    expect(unknown.error).toMatch(/^the container engine failed: .*image not known/);
    const missing = await runner().run(spec(['/bin/no-such-command']), collector().io());
    expect(missing).toMatchObject({ exitCode: 127, retryable: false });
    expect(missing.error).toMatch(/^the command cannot run in the image: /);
  });

  it('answers without an engine', async () => {
    const outcome = await new ContainerRunner({ settings: { engine: '/nonexistent/podman' } }).run(
      spec('true'),
      collector().io(),
    );
    expect(outcome).toEqual({
      exitCode: null,
      error: 'no container engine: /nonexistent/podman not found',
      retryable: false,
    });
  });
});
