import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';

export const taskArn = 'arn:aws:ecs:eu-west-1:123456789012:task/etl/0f1e2d3c4b5a69788796a5b4c3d2e1f0';

/** A task definition as DescribeTaskDefinition answers it: one container logging with awslogs. */
export function taskDefinition(over: Partial<TaskDefinition> = {}): TaskDefinition {
  return {
    taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/etl:7',
    family: 'etl',
    revision: 7,
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    containerDefinitions: [
      {
        name: 'main',
        image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/etl:1.4',
        essential: true,
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': '/ecs/etl',
            'awslogs-stream-prefix': 'etl',
            'awslogs-region': 'eu-west-1',
          },
        },
      },
    ],
    ...over,
  };
}

export interface FakeEcsScript {
  /** The task as DescribeTasks shows it at each call; the last one repeats. */
  states: Partial<Task>[];
  /** Log events that appear, in order, as DescribeTasks is called (index = describe call). */
  logs?: { at: number; message: string }[];
}

/**
 * ECS and CloudWatch Logs mocked with aws-sdk-client-mock, playing a task through `states`: the
 * answers have the SDK's shapes (tasks with lastStatus, stopCode, containers; log pages with
 * forward tokens that stay put at the end). StopTask makes the next DescribeTasks answer STOPPED
 * with exit code 143, as a container stopped with SIGTERM.
 */
export function fakeEcs(script: FakeEcsScript, definition: TaskDefinition = taskDefinition()) {
  const ecs = mockClient(ECSClient);
  const logs = mockClient(CloudWatchLogsClient);
  let describes = 0;
  let stopped = false;
  ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: definition });
  ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn, lastStatus: 'PROVISIONING' }], failures: [] });
  ecs.on(StopTaskCommand).callsFake(() => {
    stopped = true;
    return { task: { taskArn, desiredStatus: 'STOPPED' } };
  });
  ecs.on(DescribeTasksCommand).callsFake(() => {
    describes++;
    if (stopped) {
      return {
        tasks: [
          {
            taskArn,
            lastStatus: 'STOPPED',
            stopCode: 'UserInitiated',
            stoppedReason: 'stopped by enquete (cancel)',
            containers: [{ name: 'main', exitCode: 143, lastStatus: 'STOPPED' }],
          },
        ],
        failures: [],
      };
    }
    const state = script.states[Math.min(describes - 1, script.states.length - 1)]!;
    if (Object.keys(state).length === 0) {
      return { tasks: [], failures: [{ arn: taskArn, reason: 'MISSING' }] };
    }
    return { tasks: [{ taskArn, ...state }], failures: [] };
  });
  logs.on(GetLogEventsCommand).callsFake((input: { nextToken?: string }) => {
    const visible = (script.logs ?? []).filter((l) => l.at <= describes);
    if (visible.length === 0 && !input.nextToken) {
      // The awslogs stream exists once the container has written to it.
      throw Object.assign(new Error('The specified log stream does not exist.'), {
        name: 'ResourceNotFoundException',
        $fault: 'client',
      });
    }
    const from = input.nextToken ? Number(input.nextToken.slice(2)) : 0;
    const events = visible
      .slice(from)
      .map((l, i) => ({ timestamp: 1_772_359_200_000 + from + i, message: l.message }));
    return { events, nextForwardToken: `f/${from + events.length}`, nextBackwardToken: 'b/0' };
  });
  return {
    ecs,
    logs,
    describes: () => describes,
    restore: () => {
      ecs.restore();
      logs.restore();
    },
  };
}
