import { createHash } from 'node:crypto';
import type { RunTaskCommandInput } from '@aws-sdk/client-ecs';
import type { RunSpec } from '../runner.ts';
import type { EcsSettings } from './ecs-settings.ts';

/**
 * The RunTask client token of an attempt: the SHA-256 of run id and attempt, 64 hex characters
 * (the most ECS takes). Sending the same attempt twice — a retried call, a launcher restarted
 * mid-call — starts one task.
 *
 * @example
 * clientToken({ runId: 'run_1', attempt: 2 }); // '3f1c…' (64 characters)
 */
export function clientToken(spec: Pick<RunSpec, 'runId' | 'attempt'>): string {
  return createHash('sha256').update(`${spec.runId}:${spec.attempt}`).digest('hex');
}

/** `startedBy` of the task: the attempt in words, so that ListTasks finds it. */
export function startedBy(spec: Pick<RunSpec, 'job' | 'date' | 'attempt'>): string {
  const job = spec.job.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 90);
  return `enquete-${job}-${spec.date}-a${spec.attempt}`;
}

/**
 * The RunTask request of an attempt on Fargate: the job's argv as the container's command (its
 * ENTRYPOINT stays), its env as environment overrides, `cpu` and `memory` (ECS units, MiB) as
 * task and container overrides, awsvpc networking in the configured subnets.
 *
 * @example
 * const input = runTaskInput(spec, settings, 'main');
 * await ecs.send(new RunTaskCommand(input));
 */
export function runTaskInput(spec: RunSpec, settings: EcsSettings, container: string): RunTaskCommandInput {
  const override: NonNullable<NonNullable<RunTaskCommandInput['overrides']>['containerOverrides']>[number] = {
    name: container,
    environment: Object.entries(spec.env).map(([name, value]) => ({ name, value })),
  };
  if (spec.command.length > 0) override.command = spec.command;
  const overrides: NonNullable<RunTaskCommandInput['overrides']> = { containerOverrides: [override] };
  if (spec.cpu !== null) {
    override.cpu = Math.round(spec.cpu);
    overrides.cpu = String(Math.round(spec.cpu));
  }
  if (spec.memory !== null) {
    override.memory = Math.ceil(spec.memory);
    overrides.memory = String(Math.ceil(spec.memory));
  }
  const input: RunTaskCommandInput = {
    cluster: settings.cluster ?? 'default',
    taskDefinition: settings.taskDefinition,
    count: 1,
    clientToken: clientToken(spec),
    startedBy: startedBy(spec),
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: settings.subnets,
        ...(settings.securityGroups ? { securityGroups: settings.securityGroups } : {}),
        assignPublicIp: settings.assignPublicIp ? 'ENABLED' : 'DISABLED',
      },
    },
    overrides,
  };
  if (settings.capacity === 'FARGATE_SPOT') {
    input.capacityProviderStrategy = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
  } else {
    input.launchType = 'FARGATE';
  }
  if (settings.platformVersion !== undefined) input.platformVersion = settings.platformVersion;
  return input;
}
