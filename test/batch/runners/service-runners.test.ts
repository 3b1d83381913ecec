import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseJobsFile } from '../../../src/batch/jobs-file.ts';
import { containerName } from '../../../src/batch/runners/container/container-args.ts';
import { jobName, secretName } from '../../../src/batch/runners/kubernetes/job-manifest.ts';
import { createBatchService } from '../../../src/batch/service.ts';
import type { BatchService } from '../../../src/batch/service-types.ts';
import type { Db } from '../../../src/db/index.ts';
import { isEnqueteError, sequentialIds, TestClock } from '../../../src/kernel/index.ts';
import { dialects } from '../../helpers/db.ts';
import { batchTestDb } from '../helpers/batch-db.ts';
import { fakeEcs, taskArn } from './helpers/fake-ecs.ts';
import { FakeKube } from './helpers/fake-kube.ts';
import { podmanForTests, testImage } from './helpers/podman.ts';

const secret = 'svc-S3cret-9';

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (isEnqueteError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an error');
}

describe('runner settings in jobs.yaml', () => {
  it('keeps runners and runnerOptions, and says what is wrong with them', () => {
    const file = parseJobsFile(`
runners:
  container: { network: none, stopGrace: 2s }
  kubernetes: { namespace: batch, kubeconfig: '\${KCFG}' }
  ecs: { cluster: etl, subnets: [subnet-1] }
jobs:
  - { name: c, runner: container, image: busybox, cmd: 'true', runnerOptions: { mounts: ['/srv:/srv:ro'] } }
  - { name: e, runner: ecs, image: etl, runnerOptions: { taskDefinition: 'etl:3' } }
`);
    expect(file.runners).toEqual({
      container: { network: 'none', stopGrace: '2s' },
      kubernetes: { namespace: 'batch', kubeconfig: `\${KCFG}` },
      ecs: { cluster: 'etl', subnets: ['subnet-1'] },
    });
    expect(file.jobs.map((j) => j.runnerOptions)).toEqual([
      { mounts: ['/srv:/srv:ro'] },
      { taskDefinition: 'etl:3' },
    ]);
    const e = errorOf(() =>
      parseJobsFile(`
runners:
  container: { network: 'no net', colour: red }
  nomad: {}
jobs:
  - { name: a, cmd: 'true', runnerOptions: { network: none } }
  - { name: b, runner: ecs, image: x }
  - { name: c, runner: kubernetes, image: x, runnerOptions: { namespace: Batch_1, ttlSecondsAfterFinished: -1 } }
  - { name: d, runner: container, image: x, runnerOptions: { mounts: ['relative:/x'] } }
`),
    );
    expect(e.code).toBe('BATCH_JOBS_INVALID');
    expect(e.message.split('; ')).toEqual([
      'jobs.yaml: runners.container.network: expected a network name',
      'runners.container.colour: unknown key',
      'runners.nomad: unknown key',
      'jobs[0] (a): runnerOptions: not used by the local runner',
      'jobs[1] (b): runnerOptions.taskDefinition: required for the ecs runner (here or in runners.ecs)',
      'jobs[1] (b): runnerOptions.subnets: required for the ecs runner (here or in runners.ecs)',
      'jobs[2] (c): runnerOptions.namespace: expected a DNS label (lower-case letters, digits, -)',
      'jobs[2] (c): runnerOptions.ttlSecondsAfterFinished: Too small: expected number to be >=0',
      'jobs[3] (d): runnerOptions.mounts[0]: expected SOURCE:TARGET or SOURCE:TARGET:ro (absolute paths)',
    ]);
  });

  it('expands $NAME references in runner settings when the service starts, and checks the result', async () => {
    const db = await batchTestDb('sqlite');
    try {
      const jobs = parseJobsFile(`
runners:
  kubernetes: { namespace: '\${K8S_NS}' }
jobs:
  - { name: k, runner: kubernetes, image: x }
`);
      const make = (env: Record<string, string>) =>
        errorOf(() =>
          createBatchService({
            db,
            clock: new TestClock('2026-03-01T00:00:00Z'),
            ids: sequentialIds(),
            jobs,
            env,
          }),
        );
      expect(make({})).toEqual({
        code: 'BATCH_SECRET_MISSING',
        message: `runners.kubernetes.namespace references \${K8S_NS}, which is not set`,
      });
      expect(make({ K8S_NS: 'Not_A_Label' })).toEqual({
        code: 'BATCH_JOBS_INVALID',
        message: `runners.kubernetes.namespace: expected a DNS label (lower-case letters, digits, -) (after \${} expansion)`,
      });
    } finally {
      await db.close();
    }
  });
});

const setup = await podmanForTests();
if ('skip' in setup) console.warn(`\n[enquete] container service tests skipped: ${setup.skip}\n`);
const pod = 'skip' in setup ? null : setup;
afterAll(() => pod?.cleanup());

describe.each(dialects())('non-local runners through the service on %s', (dialect) => {
  let db: Db;
  let service: BatchService | undefined;
  let fake: FakeKube | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'enquete-svc-runners-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    db = await batchTestDb(dialect);
  });
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    await fake?.close();
    fake = undefined;
    await db.close();
  });

  let clock: TestClock;
  function make(yaml: string, env: Record<string, string | undefined>) {
    clock = new TestClock('2026-03-01T10:00:00.000Z');
    service = createBatchService({
      db,
      clock,
      ids: sequentialIds(),
      jobs: parseJobsFile(yaml),
      env,
    });
    return service;
  }

  it.skipIf(pod === null)(
    'runs a container job with DATE and a masked secret, and kills it on timeout',
    async () => {
      const batch = make(
        `
runners:
  container: { engine: podman, stopGrace: 1s }
jobs:
  - name: boxed
    runner: container
    image: ${testImage}
    cmd: 'echo "DATE=$DATE token=$TOKEN"; ls /sys/class/net'
    cpu: 256
    memory: 512
    env: { TOKEN: '\${SVC_TOKEN}' }
    runnerOptions: { network: none }
  - name: slow
    runner: container
    image: ${testImage}
    cmd: 'echo started; sleep 300'
    timeout: 2s
`,
        { ...pod!.env, SVC_TOKEN: secret },
      );
      const run = await batch.startRun('boxed', { date: '20250105', trigger: 'api' });
      await batch.idle();
      expect(await batch.run(run.id)).toMatchObject({ status: 'succeeded', exitCode: 0, error: null });
      const logs = (await batch.logs(run.id)).map((l) => [l.stream, l.text]);
      const name = containerName({ runId: run.id, job: 'boxed', date: '20250105', attempt: 1 });
      expect(logs).toEqual([
        ['system', 'attempt 1 of 1 for 20250105 (container runner)'],
        ['system', `starting container ${name} from ${testImage} (podman)`],
        ['stdout', 'DATE=20250105 token=***'],
        ['stdout', 'lo'],
        ['system', 'succeeded on attempt 1'],
      ]);
      const slow = await batch.startRun('slow', { date: '20250105' });
      await batch.idle();
      expect(await batch.run(slow.id)).toMatchObject({ status: 'failed', error: 'timed out after 2s' });
      const slowName = containerName({ runId: slow.id, job: 'slow', date: '20250105', attempt: 1 });
      const left = await pod!.podman('ps', '-a', '--filter', `name=^${slowName}$`, '--format', '{{.Names}}');
      expect(left.stdout.trim()).toBe('');
    },
  );

  it('runs a Kubernetes job with the kubeconfig from a $NAME reference and its secret in a Secret', async () => {
    fake = await FakeKube.start({
      token: 't0ken',
      script: (_job, env) => ({ lines: [`DATE=${env['DATE']} token=${env['TOKEN']}`], exitCode: 4 }),
    });
    const kubeconfig = join(dir, `kubeconfig-${dialect}`);
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        'current-context': 'c',
        clusters: [{ name: 'k', cluster: { server: fake.url } }],
        users: [{ name: 'u', user: { token: 't0ken' } }],
        contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
      }),
    );
    const batch = make(
      `
runners:
  kubernetes: { kubeconfig: '\${KCFG}', namespace: etl, pollInterval: 20ms }
jobs:
  - { name: kube, runner: kubernetes, image: etl:1, cmd: [run], env: { TOKEN: '\${SVC_TOKEN}', PLAIN: p } }
`,
      { KCFG: kubeconfig, SVC_TOKEN: secret },
    );
    const run = await batch.startRun('kube', { date: '20250106' });
    await batch.idle();
    expect(await batch.run(run.id)).toMatchObject({ status: 'failed', exitCode: 4, error: 'exit code 4' });
    const logs = (await batch.logs(run.id)).map((l) => l.text);
    expect(logs).toContain('DATE=20250106 token=***');
    expect(logs.join('\n')).not.toContain(secret);
    const stored = fake.secrets.get(`etl/${secretName('kube')}`);
    expect(stored?.['data']).toEqual({ TOKEN: Buffer.from(secret).toString('base64') });
    const name = jobName({ runId: run.id, job: 'kube', date: '20250106', attempt: 1 });
    expect(fake.deletes).toEqual([{ job: name, propagationPolicy: 'Background' }]);
  });

  it('runs an ECS job: DATE in the overrides, its log masked, a capacity shortage retried', async () => {
    const ecs = fakeEcs({
      states: [
        { lastStatus: 'RUNNING' },
        {
          lastStatus: 'STOPPED',
          stopCode: 'EssentialContainerExited',
          containers: [{ name: 'main', exitCode: 0 }],
        },
      ],
      logs: [{ at: 1, message: `key=${secret}` }],
    });
    try {
      const batch = make(
        `
runners:
  ecs: { region: eu-west-1, cluster: etl, subnets: [subnet-1], pollInterval: 5ms }
jobs:
  - endpoint: /ibis/update_answer
    runner: ecs
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/etl:1.4
    cmd: /work/run.sh
    cpu: 256
    memory: 512
    env: { BQ_KEY: '\${SVC_TOKEN}' }
    retry: { attempts: 2, minBackoff: 1ms, maxBackoff: 1ms }
    runnerOptions: { taskDefinition: 'etl:7' }
`,
        { SVC_TOKEN: secret },
      );
      ecs.ecs
        .on(RunTaskCommand)
        .resolvesOnce({ tasks: [], failures: [{ reason: 'RESOURCE:MEMORY' }] })
        .resolves({
          tasks: [{ taskArn }],
        });
      const run = await batch.startRun('ibis-update_answer', { date: '20250107' });
      const [waiting] = await batch.settle([run.id], { pollMs: 5 });
      expect(waiting).toMatchObject({
        status: 'queued',
        attempt: 1,
        nextAttemptAt: '2026-03-01T10:00:00.001Z',
      });
      clock.tick(1);
      const [settled] = await batch.settle([run.id], { pollMs: 5 });
      expect(settled).toMatchObject({ status: 'succeeded', attempt: 2, exitCode: 0 });
      const calls = ecs.ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
      expect(calls.map((c) => c.clientToken)).toEqual([
        expect.stringMatching(/^[0-9a-f]{64}$/),
        expect.stringMatching(/^[0-9a-f]{64}$/),
      ]);
      expect(calls[0]!.clientToken).not.toBe(calls[1]!.clientToken);
      expect(calls[1]!.overrides?.containerOverrides?.[0]?.environment).toEqual([
        { name: 'BQ_KEY', value: secret },
        { name: 'DATE', value: '20250107' },
      ]);
      const logs = (await batch.logs(run.id)).map((l) => l.text);
      expect(logs).toContain('key=***');
      expect(logs).toContain(
        'attempt 1 failed: ECS could not start the task: RESOURCE:MEMORY; next attempt at 2026-03-01T10:00:00.001Z',
      );
      expect(logs.join('\n')).not.toContain(secret);
    } finally {
      ecs.restore();
    }
  });
});
