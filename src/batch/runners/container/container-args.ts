import { createHash } from 'node:crypto';
import type { RunSpec } from '../runner.ts';
import type { ContainerSettings } from './container-settings.ts';

/**
 * The container's name for one attempt of a run: `enquete-<job>-<date>-a<attempt>-<hash>`, the
 * hash taken from the run id. The same attempt always gets the same name, so a launcher that
 * restarts after a crash, or the next attempt, finds and removes what was left behind.
 *
 * @example
 * containerName({ runId: 'run_1', job: 'etl', date: '20260301', attempt: 2 });
 * // 'enquete-etl-20260301-a2-<10 hex>'
 */
export function containerName(spec: Pick<RunSpec, 'runId' | 'job' | 'date' | 'attempt'>): string {
  const hash = createHash('sha256').update(spec.runId).digest('hex').slice(0, 10);
  const job = spec.job.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60);
  return `enquete-${job}-${spec.date}-a${spec.attempt}-${hash}`;
}

/** ECS CPU units as a `--cpus` value: 1024 units are one CPU; 256 → `0.25`. */
export function cpusFlag(units: number): string {
  return String(Number((units / 1024).toFixed(3)));
}

/** MiB as a `--memory` value: 512 → `512m`. */
export function memoryFlag(mib: number): string {
  return `${Math.ceil(mib)}m`;
}

/**
 * Splits a job's env between an env file and variables the engine copies from its own
 * environment (`--env NAME`): env files hold one `NAME=value` per line, so values with a line
 * break go the second way. Either way no value appears on a command line, where `ps` shows it.
 */
export function splitEnv(env: Record<string, string>): { file: string; inherited: Record<string, string> } {
  const lines: string[] = [];
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (/[\r\n]/.test(value)) inherited[name] = value;
    else lines.push(`${name}=${value}`);
  }
  return { file: lines.length > 0 ? `${lines.join('\n')}\n` : '', inherited };
}

/**
 * The engine's `run` arguments for an attempt. The container runs in the foreground so that its
 * output arrives on the engine's stdout and stderr and its exit code is the engine's; `--rm`
 * removes it afterwards. The job's argv replaces the image's CMD (its ENTRYPOINT stays), as an
 * ECS command override does.
 *
 * @example
 * runArgs(spec, settings, { name, envFile: '/tmp/x/env', inherited: [] });
 * // ['run', '--rm', '--name', name, ..., '--cpus', '0.25', '--memory', '512m', image, ...argv]
 */
export function runArgs(
  spec: RunSpec,
  settings: ContainerSettings,
  opts: { name: string; envFile: string | null; inherited: string[] },
): string[] {
  const args = ['run', '--rm', '--name', opts.name];
  args.push('--label', `enquete.run=${spec.runId}`, '--label', `enquete.attempt=${spec.attempt}`);
  args.push('--label', `enquete.job=${spec.job}`);
  if (opts.envFile !== null) args.push('--env-file', opts.envFile);
  for (const name of opts.inherited) args.push('--env', name);
  if (spec.cpu !== null) args.push('--cpus', cpusFlag(spec.cpu));
  if (spec.memory !== null) args.push('--memory', memoryFlag(spec.memory));
  if (settings.pull !== undefined) args.push('--pull', settings.pull);
  if (settings.network !== undefined) args.push('--network', settings.network);
  for (const mount of settings.mounts ?? []) {
    const [source, target, mode] = mount.split(':');
    args.push('--mount', `type=bind,source=${source},target=${target}${mode === 'ro' ? ',readonly' : ''}`);
  }
  if (spec.workdir !== null) args.push('--workdir', spec.workdir);
  args.push(spec.image ?? '', ...spec.command);
  return args;
}
