import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  RunTaskCommand,
  StopTaskCommand,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { RunIo, Runner, RunOutcome, RunSpec } from '../runner.ts';
import { settingMs } from '../settings-fields.ts';
import { type AwsLogsTarget, EcsLog } from './ecs-log.ts';
import { callOutcome, placementOutcome, stoppedOutcome } from './ecs-outcome.ts';
import { runTaskInput } from './ecs-request.ts';
import type { EcsSettings } from './ecs-settings.ts';

export interface EcsRunnerProps {
  /** The settings, or a function giving each job's (shared settings with its own over them). */
  settings?: EcsSettings | ((spec: RunSpec) => EcsSettings);
  /** Makes the clients for a region (undefined: the SDK's default region). */
  ecs?: (region: string | undefined) => ECSClient;
  logs?: (region: string | undefined) => CloudWatchLogsClient;
}

/** The longest wait between two DescribeTasks calls. */
const maxPollMs = 30_000;
/** How long a stopped run waits for ECS to report the task STOPPED. */
const stopWaitMs = 120_000;

/**
 * Runs an attempt as a Fargate task: RunTask with the job's command, env, cpu and memory as
 * overrides and a client token derived from the attempt (so a repeated call starts one task),
 * then DescribeTasks with a growing interval until the task is STOPPED, reading its awslogs
 * stream into the run log meanwhile. Timeout and cancel call StopTask. The outcome comes from the
 * essential container's exit code, or from the stop reason when it never ran.
 *
 * @example
 * const runner = new EcsRunner({ settings: { cluster: 'etl', taskDefinition: 'etl:7', subnets: ['subnet-1'] } });
 * const outcome = await runner.run(spec, { onLine, onNote, signal });
 */
export class EcsRunner implements Runner {
  readonly kind = 'ecs' as const;
  readonly #settings: (spec: RunSpec) => EcsSettings;
  readonly #makeEcs: (region: string | undefined) => ECSClient;
  readonly #makeLogs: (region: string | undefined) => CloudWatchLogsClient;
  readonly #ecs = new Map<string, ECSClient>();
  readonly #logs = new Map<string, CloudWatchLogsClient>();

  constructor(props: EcsRunnerProps = {}) {
    const s = props.settings ?? {};
    this.#settings = typeof s === 'function' ? s : () => s;
    this.#makeEcs = props.ecs ?? ((region) => new ECSClient({ region }));
    this.#makeLogs = props.logs ?? ((region) => new CloudWatchLogsClient({ region }));
  }

  async run(spec: RunSpec, io: RunIo): Promise<RunOutcome> {
    const settings = this.#settings(spec);
    if (!settings.taskDefinition || !settings.subnets?.length) {
      return { exitCode: null, error: 'the ecs runner needs a taskDefinition and subnets', retryable: false };
    }
    const ecs = cached(this.#ecs, settings.region, this.#makeEcs);
    let definition: TaskDefinition | undefined;
    try {
      const answer = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: settings.taskDefinition }),
      );
      definition = answer.taskDefinition;
    } catch (error) {
      if (settings.containerName === undefined) return callOutcome(error, 'DescribeTaskDefinition');
      io.onNote(`cannot describe ${settings.taskDefinition} (${(error as Error).name}); going on without`);
    }
    const container = settings.containerName ?? soleEssential(definition);
    if (container === null) {
      const error = `${settings.taskDefinition} has several essential containers: set containerName`;
      return { exitCode: null, error, retryable: false };
    }
    const declared = definition?.containerDefinitions?.find((c) => c.name === container);
    if (spec.image && declared?.image && declared.image !== spec.image) {
      io.onNote(`ECS runs the task definition's image ${declared.image}, not the job's ${spec.image}`);
    }
    if (io.signal.aborted) return { exitCode: null, error: 'stopped before the start', retryable: true };

    const input = runTaskInput(spec, settings, container);
    let arn: string;
    try {
      const answer = await ecs.send(new RunTaskCommand(input));
      const task = answer.tasks?.[0];
      if (!task?.taskArn) {
        const failure = answer.failures?.[0] ?? { reason: 'no task and no failure in the answer' };
        return placementOutcome(failure);
      }
      arn = task.taskArn;
    } catch (error) {
      return callOutcome(error, 'RunTask');
    }
    io.onNote(`started task ${arn} (cluster ${input.cluster}, ${settings.taskDefinition})`);
    const target = logTarget(settings, definition, container, arn);
    if (!target) io.onNote('the container has no awslogs configuration: its output is not collected');
    const log = target
      ? new EcsLog({
          client: cached(this.#logs, target.region, this.#makeLogs),
          target,
          onLine: (line) => io.onLine('stdout', line),
          onNote: (text) => io.onNote(text),
        })
      : null;
    return this.#watch(ecs, input.cluster ?? 'default', arn, container, settings, log, io);
  }

  async #watch(
    ecs: ECSClient,
    cluster: string,
    arn: string,
    container: string,
    settings: EcsSettings,
    log: EcsLog | null,
    io: RunIo,
  ): Promise<RunOutcome> {
    const firstWait = settingMs(settings.pollInterval, 2_000);
    let wait = firstWait;
    let stopAsked: number | null = null;
    let waited = 0;
    let missing = 0;
    for (;;) {
      if (io.signal.aborted && stopAsked === null) {
        stopAsked = waited;
        const reason = `stopped by enquete (${String(io.signal.reason ?? 'stop')})`;
        io.onNote(`stopping task ${arn}`);
        try {
          await ecs.send(new StopTaskCommand({ cluster, task: arn, reason }));
        } catch (error) {
          io.onNote(`StopTask failed: ${(error as Error).message}`);
        }
        wait = firstWait;
      }
      let task: Awaited<ReturnType<typeof describe>>;
      try {
        task = await describe(ecs, cluster, arn);
      } catch (error) {
        const outcome = callOutcome(error, 'DescribeTasks');
        if (!outcome.retryable) return outcome;
        task = undefined;
      }
      if (task === undefined) {
        // Just after RunTask, DescribeTasks may not know the task yet.
        if (++missing > 10) return { exitCode: null, error: `task ${arn} cannot be found`, retryable: true };
      } else if (task.lastStatus === 'STOPPED') {
        await this.#finalLog(log, firstWait);
        const outcome = stoppedOutcome(task, container);
        return stopAsked === null
          ? outcome
          : { exitCode: outcome.exitCode, error: `stopped (${arn})`, retryable: true };
      }
      await log?.drain();
      if (stopAsked !== null && waited - stopAsked > stopWaitMs) {
        return { exitCode: null, error: `stopped (${arn}; not yet STOPPED)`, retryable: true };
      }
      await sleep(wait, stopAsked === null ? io.signal : undefined);
      waited += wait;
      wait = Math.min(wait * 2, maxPollMs);
    }
  }

  /** CloudWatch receives events with a delay: read again after a pause, until nothing new comes. */
  async #finalLog(log: EcsLog | null, pauseMs: number): Promise<void> {
    if (!log) return;
    await log.drain();
    for (let i = 0; i < 3; i++) {
      await sleep(Math.min(pauseMs, 5_000));
      if ((await log.drain()) === 0) return;
    }
  }
}

async function describe(ecs: ECSClient, cluster: string, arn: string) {
  const answer = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }));
  return answer.tasks?.find((t) => t.taskArn === arn);
}

function cached<T>(
  map: Map<string, T>,
  region: string | undefined,
  make: (region: string | undefined) => T,
): T {
  const key = region ?? '';
  let client = map.get(key);
  if (!client) {
    client = make(region);
    map.set(key, client);
  }
  return client;
}

/** The one essential container of a task definition (containers are essential unless marked not). */
function soleEssential(definition: TaskDefinition | undefined): string | null {
  const essential = (definition?.containerDefinitions ?? []).filter((c) => c.essential !== false);
  return essential.length === 1 ? (essential[0]!.name ?? null) : null;
}

/** The awslogs stream of the task's container: from the settings, else the task definition. */
function logTarget(
  settings: EcsSettings,
  definition: TaskDefinition | undefined,
  container: string,
  arn: string,
): AwsLogsTarget | null {
  const declared = definition?.containerDefinitions?.find((c) => c.name === container)?.logConfiguration;
  const options = declared?.logDriver === 'awslogs' ? (declared.options ?? {}) : {};
  const group = settings.logGroup ?? options['awslogs-group'];
  const prefix = settings.logStreamPrefix ?? options['awslogs-stream-prefix'];
  if (!group || !prefix) return null;
  const taskId = arn.slice(arn.lastIndexOf('/') + 1);
  return {
    group,
    stream: `${prefix}/${container}/${taskId}`,
    region: options['awslogs-region'] ?? settings.region,
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
