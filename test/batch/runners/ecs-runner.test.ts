import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { callOutcome, placementOutcome, stoppedOutcome } from '../../../src/batch/runners/ecs/ecs-outcome.ts';
import { clientToken, runTaskInput, startedBy } from '../../../src/batch/runners/ecs/ecs-request.ts';
import { EcsRunner } from '../../../src/batch/runners/ecs/ecs-runner.ts';
import type { EcsSettings } from '../../../src/batch/runners/ecs/ecs-settings.ts';
import type { LogStream, RunSpec } from '../../../src/batch/runners/runner.ts';
import { fakeEcs, taskArn, taskDefinition } from './helpers/fake-ecs.ts';

const image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/etl:1.4';
const settings: EcsSettings = {
  region: 'eu-west-1',
  cluster: 'etl',
  taskDefinition: 'etl:7',
  subnets: ['subnet-0a1', 'subnet-0b2'],
  securityGroups: ['sg-0c3'],
  pollInterval: '5ms',
};

function spec(over: Partial<RunSpec> = {}): RunSpec {
  return {
    runId: 'run_e1',
    job: 'ibis-update_answer',
    attempt: 1,
    date: '20260301',
    image,
    command: ['/bin/sh', '-c', '/work/run.sh'],
    env: { DATE: '20260301', BQ_KEY: 'k3y' },
    workdir: null,
    cpu: 256,
    memory: 512,
    ...over,
  };
}

function collector() {
  const lines: [LogStream | 'note', string][] = [];
  return {
    lines,
    out: () => lines.filter(([s]) => s === 'stdout').map(([, t]) => t),
    notes: () => lines.filter(([s]) => s === 'note').map(([, t]) => t),
    io: (signal = new AbortController().signal) => ({
      onLine: (s: LogStream, t: string) => lines.push([s, t]),
      onNote: (t: string) => lines.push(['note', t]),
      signal,
    }),
  };
}

const running = { lastStatus: 'RUNNING', containers: [{ name: 'main', lastStatus: 'RUNNING' }] };
const exited = (exitCode: number, reason?: string) => ({
  lastStatus: 'STOPPED',
  stopCode: 'EssentialContainerExited' as const,
  stoppedReason: 'Essential container in task exited',
  containers: [{ name: 'main', lastStatus: 'STOPPED', exitCode, reason }],
});

describe('ECS RunTask request', () => {
  it('overrides command, environment, cpu and memory, on Fargate in the given subnets', () => {
    expect(runTaskInput(spec(), settings, 'main')).toEqual({
      cluster: 'etl',
      taskDefinition: 'etl:7',
      count: 1,
      clientToken: clientToken(spec()),
      startedBy: 'enquete-ibis-update_answer-20260301-a1',
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-0a1', 'subnet-0b2'],
          securityGroups: ['sg-0c3'],
          assignPublicIp: 'DISABLED',
        },
      },
      overrides: {
        cpu: '256',
        memory: '512',
        containerOverrides: [
          {
            name: 'main',
            command: ['/bin/sh', '-c', '/work/run.sh'],
            environment: [
              { name: 'DATE', value: '20260301' },
              { name: 'BQ_KEY', value: 'k3y' },
            ],
            cpu: 256,
            memory: 512,
          },
        ],
      },
    });
    const spot = runTaskInput(
      spec({ cpu: null, memory: null, command: [] }),
      { ...settings, capacity: 'FARGATE_SPOT', assignPublicIp: true },
      'main',
    );
    expect(spot.launchType).toBeUndefined();
    expect(spot.capacityProviderStrategy).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
    expect(spot.networkConfiguration?.awsvpcConfiguration?.assignPublicIp).toBe('ENABLED');
    expect(spot.overrides).toEqual({
      containerOverrides: [
        {
          name: 'main',
          environment: [
            { name: 'DATE', value: '20260301' },
            { name: 'BQ_KEY', value: 'k3y' },
          ],
        },
      ],
    });
  });

  it('derives a 64-character client token from the run attempt', () => {
    const token = clientToken({ runId: 'run_e1', attempt: 1 });
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(clientToken({ runId: 'run_e1', attempt: 1 })).toBe(token);
    expect(clientToken({ runId: 'run_e1', attempt: 2 })).not.toBe(token);
    expect(clientToken({ runId: 'run_e2', attempt: 1 })).not.toBe(token);
    expect(startedBy({ job: 'a.b c', date: '20260301', attempt: 3 })).toBe('enquete-a-b-c-20260301-a3');
  });
});

describe('ECS outcomes', () => {
  it('classifies placement failures: capacity and resources retryable, the rest not', () => {
    expect(placementOutcome({ reason: 'RESOURCE:MEMORY' })).toEqual({
      exitCode: null,
      error: 'ECS could not start the task: RESOURCE:MEMORY',
      retryable: true,
    });
    expect(placementOutcome({ reason: 'AGENT' }).retryable).toBe(true);
    expect(
      placementOutcome({
        reason:
          'Capacity is unavailable at this time. Please try again later or in a different availability zone',
      }).retryable,
    ).toBe(true);
    expect(placementOutcome({ reason: 'ATTRIBUTE', detail: 'ecs.os-type' })).toEqual({
      exitCode: null,
      error: 'ECS could not start the task: ATTRIBUTE (ecs.os-type)',
      retryable: false,
    });
  });

  it('classifies stopped tasks by exit code, else by stop reason', () => {
    expect(stoppedOutcome({ ...exited(0) }, 'main')).toEqual({ exitCode: 0, error: null, retryable: true });
    expect(stoppedOutcome({ ...exited(3) }, 'main')).toEqual({ exitCode: 3, error: null, retryable: true });
    expect(
      stoppedOutcome({ ...exited(137, 'OutOfMemoryError: Container killed due to memory usage') }, 'main'),
    ).toEqual({
      exitCode: 137,
      error: 'container OutOfMemoryError: Container killed due to memory usage',
      retryable: true,
    });
    const failed = (stoppedReason: string, reason?: string) =>
      stoppedOutcome(
        {
          lastStatus: 'STOPPED',
          stopCode: 'TaskFailedToStart',
          stoppedReason,
          containers: [{ name: 'main', reason }],
        },
        'main',
      );
    expect(
      failed(
        'Task failed to start',
        'CannotPullContainerError: pull image manifest has been retried 5 time(s): context deadline exceeded',
      ),
    ).toEqual({
      exitCode: null,
      error:
        'the task stopped (TaskFailedToStart): Task failed to start: CannotPullContainerError: pull image manifest has been retried 5 time(s): context deadline exceeded',
      retryable: true,
    });
    expect(
      failed(
        'CannotPullContainerError: ref pull has been retried 1 time(s): failed to resolve reference: not found',
      ).retryable,
    ).toBe(false);
    expect(
      failed(
        'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed',
      ).retryable,
    ).toBe(true);
    expect(
      failed(
        'Task failed to start',
        'CannotStartContainerError: exec: "/work/run.sh": executable file not found in $PATH',
      ).retryable,
    ).toBe(false);
    expect(
      stoppedOutcome(
        {
          lastStatus: 'STOPPED',
          stopCode: 'SpotInterruption',
          stoppedReason: 'Your Spot Task was interrupted.',
        },
        'main',
      ),
    ).toEqual({
      exitCode: null,
      error: 'the task stopped (SpotInterruption): Your Spot Task was interrupted.',
      retryable: true,
    });
  });

  it('classifies thrown errors: refusals are final, throttling and faults are not', () => {
    const err = (name: string, $fault: string, message = 'm') =>
      Object.assign(new Error(message), { name, $fault });
    expect(
      callOutcome(err('InvalidParameterException', 'client', 'Invalid CPU or memory value'), 'RunTask'),
    ).toEqual({
      exitCode: null,
      error: 'RunTask failed: InvalidParameterException: Invalid CPU or memory value',
      retryable: false,
    });
    expect(callOutcome(err('AccessDeniedException', 'client'), 'RunTask').retryable).toBe(false);
    expect(callOutcome(err('ThrottlingException', 'client'), 'RunTask').retryable).toBe(true);
    expect(callOutcome(err('ServerException', 'server'), 'RunTask').retryable).toBe(true);
    expect(
      callOutcome(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }), 'RunTask')
        .retryable,
    ).toBe(true);
    expect(callOutcome(new Error('Region is missing'), 'RunTask').retryable).toBe(false);
  });
});

describe('ECS runner with mocked AWS clients', () => {
  let fake: ReturnType<typeof fakeEcs> | undefined;
  afterEach(() => fake?.restore());

  it('runs the task, follows it to STOPPED and streams its CloudWatch log', async () => {
    fake = fakeEcs({
      states: [{}, running, running, running, exited(0)],
      logs: [
        { at: 2, message: 'DATE=20260301' },
        { at: 3, message: 'loaded 12 rows\n' },
        { at: 5, message: 'done' },
      ],
    });
    const c = collector();
    const outcome = await new EcsRunner({ settings }).run(spec(), c.io());
    expect(outcome).toEqual({ exitCode: 0, error: null, retryable: true });
    expect(c.out()).toEqual(['DATE=20260301', 'loaded 12 rows', 'done']);
    expect(c.notes()).toEqual([`started task ${taskArn} (cluster etl, etl:7)`]);
    const run = fake.ecs.commandCalls(RunTaskCommand);
    expect(run).toHaveLength(1);
    expect(run[0]!.args[0].input).toEqual(runTaskInput(spec(), settings, 'main'));
    const reads = fake.logs.commandCalls(GetLogEventsCommand).map((call) => call.args[0].input);
    expect(reads[0]).toEqual({
      logGroupName: '/ecs/etl',
      logStreamName: 'etl/main/0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      startFromHead: true,
      nextToken: undefined,
    });
    expect(fake.ecs.commandCalls(DescribeTasksCommand)[0]!.args[0].input).toEqual({
      cluster: 'etl',
      tasks: [taskArn],
    });
    expect(fake.ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });

  it('returns the essential container exit code', async () => {
    fake = fakeEcs({ states: [running, exited(3)] });
    expect(await new EcsRunner({ settings }).run(spec(), collector().io())).toEqual({
      exitCode: 3,
      error: null,
      retryable: true,
    });
  });

  it('retries capacity shortages and not bad parameters', async () => {
    fake = fakeEcs({ states: [running] });
    fake.ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'RESOURCE:ENI' }] });
    expect(await new EcsRunner({ settings }).run(spec(), collector().io())).toEqual({
      exitCode: null,
      error: 'ECS could not start the task: RESOURCE:ENI',
      retryable: true,
    });
    fake.ecs.on(RunTaskCommand).rejects(
      Object.assign(new Error('No Fargate configuration exists for given values: 300 CPU, 512 memory.'), {
        name: 'ClientException',
        $fault: 'client',
      }),
    );
    expect(await new EcsRunner({ settings }).run(spec({ cpu: 300 }), collector().io())).toEqual({
      exitCode: null,
      error:
        'RunTask failed: ClientException: No Fargate configuration exists for given values: 300 CPU, 512 memory.',
      retryable: false,
    });
  });

  it('stops the task on cancel', async () => {
    fake = fakeEcs({ states: [running], logs: [{ at: 1, message: 'working' }] });
    const c = collector();
    const controller = new AbortController();
    const done = new EcsRunner({ settings }).run(spec(), c.io(controller.signal));
    for (let i = 0; i < 200 && !c.out().includes('working'); i++) await new Promise((r) => setTimeout(r, 5));
    controller.abort('cancel');
    expect(await done).toEqual({ exitCode: 143, error: `stopped (${taskArn})`, retryable: true });
    expect(fake.ecs.commandCalls(StopTaskCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: 'etl', task: taskArn, reason: 'stopped by enquete (cancel)' },
    ]);
    expect(c.notes()).toContain(`stopping task ${taskArn}`);
  });

  it('needs a container name when the task definition has several essential containers', async () => {
    const two = taskDefinition({
      containerDefinitions: [
        { name: 'main', image, essential: true },
        { name: 'sidecar', image: 'envoy:1', essential: true },
      ],
    });
    fake = fakeEcs({ states: [exited(0)] }, two);
    expect(await new EcsRunner({ settings }).run(spec(), collector().io())).toEqual({
      exitCode: null,
      error: 'etl:7 has several essential containers: set containerName',
      retryable: false,
    });
    const c = collector();
    const outcome = await new EcsRunner({ settings: { ...settings, containerName: 'main' } }).run(
      spec({ image: 'etl:2' }),
      c.io(),
    );
    expect(outcome).toEqual({ exitCode: 0, error: null, retryable: true });
    expect(c.notes()).toEqual([
      `ECS runs the task definition's image ${image}, not the job's etl:2`,
      `started task ${taskArn} (cluster etl, etl:7)`,
      'the container has no awslogs configuration: its output is not collected',
    ]);
  });
});
