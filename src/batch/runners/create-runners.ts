import type { RunnerKind } from '../jobs-file.ts';
import type { Masker } from '../masker.ts';
import { ContainerRunner } from './container/container-runner.ts';
import { EcsRunner } from './ecs/ecs-runner.ts';
import { KubernetesRunner } from './kubernetes/kubernetes-runner.ts';
import { LocalRunner } from './local/local-runner.ts';
import type { Runner } from './runner.ts';
import { type ResolvedRunnerSettings, settingsFor } from './runner-settings.ts';

export interface CreateRunnersProps {
  /** The current runner settings (they change when jobs.yaml is reloaded). */
  settings: () => ResolvedRunnerSettings;
  /** The current masker: env values it would mask are secrets. */
  masker: () => Masker;
  /** The server's environment: the container engine's, and where KUBECONFIG and HOME are read. */
  env: Record<string, string | undefined>;
}

/**
 * Every runner kind, each made on first use and reading a job's settings when it runs it
 * (`runners.<kind>` of jobs.yaml with the job's `runnerOptions` over them), so that a reload
 * applies to the next runs without disturbing those in progress.
 *
 * @example
 * const runners = createRunners({ settings: () => resolved, masker: () => masker, env: process.env });
 */
export function createRunners(p: CreateRunnersProps): Partial<Record<RunnerKind, Runner>> {
  let container: ContainerRunner | undefined;
  let kubernetes: KubernetesRunner | undefined;
  let ecs: EcsRunner | undefined;
  return {
    local: new LocalRunner(),
    get container() {
      container ??= new ContainerRunner({
        settings: (spec) => settingsFor(p.settings(), 'container', spec.job),
        baseEnv: p.env,
      });
      return container;
    },
    get kubernetes() {
      kubernetes ??= new KubernetesRunner({
        settings: (spec) => settingsFor(p.settings(), 'kubernetes', spec.job),
        isSecret: (value) => p.masker().mask(value) !== value,
        env: p.env,
      });
      return kubernetes;
    },
    get ecs() {
      // The AWS SDK finds credentials itself: environment, profile, container or instance role.
      ecs ??= new EcsRunner({ settings: (spec) => settingsFor(p.settings(), 'ecs', spec.job) });
      return ecs;
    },
  };
}
