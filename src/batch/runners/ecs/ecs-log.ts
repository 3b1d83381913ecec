import {
  type CloudWatchLogsClient,
  GetLogEventsCommand,
  type GetLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';

/** Where a task's container writes with the awslogs driver. */
export interface AwsLogsTarget {
  group: string;
  /** `<prefix>/<container>/<task id>`. */
  stream: string;
  region: string | undefined;
}

/**
 * Reads a CloudWatch Logs stream forward, a page at a time, from where the previous read stopped
 * (`nextForwardToken`): the ECS runner calls `drain()` at each status poll and a few times after
 * the task stopped, since events arrive with a delay.
 *
 * @example
 * const log = new EcsLog({ client, target, onLine });
 * await log.drain(); // lines so far
 */
export class EcsLog {
  readonly #client: CloudWatchLogsClient;
  readonly #target: AwsLogsTarget;
  readonly #onLine: (line: string) => void;
  #token: string | undefined;
  #warned = false;
  readonly #onNote: (text: string) => void;

  constructor(props: {
    client: CloudWatchLogsClient;
    target: AwsLogsTarget;
    onLine: (line: string) => void;
    onNote: (text: string) => void;
  }) {
    this.#client = props.client;
    this.#target = props.target;
    this.#onLine = props.onLine;
    this.#onNote = props.onNote;
  }

  /** Passes on every event written since the last call; answers how many lines that was. */
  async drain(): Promise<number> {
    let count = 0;
    for (let page = 0; page < 100; page++) {
      let answer: GetLogEventsCommandOutput;
      try {
        answer = await this.#client.send(
          new GetLogEventsCommand({
            logGroupName: this.#target.group,
            logStreamName: this.#target.stream,
            startFromHead: true,
            nextToken: this.#token,
          }),
        );
      } catch (error) {
        // The stream appears when the container first writes.
        if ((error as Error).name === 'ResourceNotFoundException') return count;
        if (!this.#warned) this.#onNote(`cannot read the task's log: ${(error as Error).message}`);
        this.#warned = true;
        return count;
      }
      for (const event of answer.events ?? []) {
        for (const line of (event.message ?? '').replace(/\r?\n$/, '').split(/\r?\n/)) {
          this.#onLine(line);
          count++;
        }
      }
      // The same token back means the end of what is there for now.
      const next = answer.nextForwardToken;
      const done = next === undefined || next === this.#token || (answer.events ?? []).length === 0;
      this.#token = next ?? this.#token;
      if (done) return count;
    }
    return count;
  }
}
