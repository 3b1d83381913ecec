import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  cpuQuantity,
  jobManifest,
  jobName,
  memoryQuantity,
  secretName,
} from '../../../src/batch/runners/kubernetes/job-manifest.ts';
import type { KubeClient } from '../../../src/batch/runners/kubernetes/kube-client.ts';
import { KubernetesRunner } from '../../../src/batch/runners/kubernetes/kubernetes-runner.ts';
import type { KubernetesSettings } from '../../../src/batch/runners/kubernetes/kubernetes-settings.ts';
import { PodLog } from '../../../src/batch/runners/kubernetes/pod-log.ts';
import type { LogStream, RunSpec } from '../../../src/batch/runners/runner.ts';
import { FakeKube, type FakeKubeOptions } from './helpers/fake-kube.ts';

const secret = 'kube-S3cret-value';
const dir = mkdtempSync(join(tmpdir(), 'enquete-kube-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function spec(over: Partial<RunSpec> = {}): RunSpec {
  return {
    runId: 'run_k1',
    job: 'nightly_etl',
    attempt: 1,
    date: '20260301',
    image: 'registry.example.org/etl:1.4',
    command: ['/bin/sh', '-c', 'run-etl'],
    env: { DATE: '20260301', TOKEN: secret, MODE: 'full' },
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

let n = 0;
function kubeconfig(server: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}) {
  const path = join(dir, `config-${++n}`);
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'test',
      clusters: [{ name: 'fake', cluster: { server, ...cluster } }],
      users: [{ name: 'enquete', user }],
      contexts: [{ name: 'test', context: { cluster: 'fake', user: 'enquete', namespace: 'batch' } }],
    }),
  );
  return path;
}

describe('kubernetes Job manifest', () => {
  it('names Jobs after the attempt: DNS-1123, at most 63 characters, the same every time', () => {
    const name = jobName(spec());
    expect(name).toMatch(/^nightly-etl-20260301-a1-[0-9a-f]{8}$/);
    expect(jobName(spec())).toBe(name);
    expect(jobName(spec({ attempt: 2 }))).not.toBe(name);
    expect(jobName(spec({ runId: 'run_k2' }))).not.toBe(name);
    const long = jobName(spec({ job: `Very.Long_${'x'.repeat(80)}`, attempt: 12 }));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^very-long-x+-20260301-a12-[0-9a-f]{8}$/);
    expect(secretName('nightly_etl')).toMatch(/^nightly-etl-env-[0-9a-f]{8}$/);
  });

  it('turns ECS units into millicores and MiB into Mi', () => {
    // 1024 units are one CPU, 1000m: 256 units are a quarter, 250m.
    expect([256, 512, 1024, 4096, 1].map(cpuQuantity)).toEqual(['250m', '500m', '1000m', '4000m', '1m']);
    expect([512, 2048].map(memoryQuantity)).toEqual(['512Mi', '2048Mi']);
  });

  it('builds a batch/v1 Job with backoffLimit 0, secret references and equal requests and limits', () => {
    const body = jobManifest(
      spec({ workdir: '/work' }),
      { serviceAccount: 'etl-runner', ttlSecondsAfterFinished: 600, labels: { team: 'data' } },
      { namespace: 'batch', secretVars: new Set(['TOKEN']), secret: 'etl-env' },
    );
    const labels = {
      team: 'data',
      'app.kubernetes.io/managed-by': 'enquete',
      'enquete.io/job': 'nightly-etl',
      'enquete.io/attempt': '1',
    };
    const annotations = {
      'enquete.io/job': 'nightly_etl',
      'enquete.io/run': 'run_k1',
      'enquete.io/date': '20260301',
    };
    expect(body).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: jobName(spec()), namespace: 'batch', labels, annotations },
      spec: {
        backoffLimit: 0,
        ttlSecondsAfterFinished: 600,
        template: {
          metadata: { labels, annotations },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: 'etl-runner',
            containers: [
              {
                name: 'job',
                image: 'registry.example.org/etl:1.4',
                args: ['/bin/sh', '-c', 'run-etl'],
                workingDir: '/work',
                env: [
                  { name: 'DATE', value: '20260301' },
                  { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'etl-env', key: 'TOKEN' } } },
                  { name: 'MODE', value: 'full' },
                ],
                resources: {
                  requests: { cpu: '250m', memory: '512Mi' },
                  limits: { cpu: '250m', memory: '512Mi' },
                },
              },
            ],
          },
        },
      },
    });
    expect(JSON.stringify(body)).not.toContain(secret);
  });
});

describe('kubernetes runner against a fake API server', () => {
  let fake: FakeKube;
  afterEach(async () => {
    await fake?.close();
  });

  async function setup(opts: Partial<FakeKubeOptions> = {}, settings: KubernetesSettings = {}) {
    fake = await FakeKube.start({
      token: 'good-token',
      script: (_job, env) => ({ lines: [`DATE=${env['DATE']} token=${env['TOKEN']}`, 'done'] }),
      ...opts,
    });
    const runner = new KubernetesRunner({
      settings: {
        kubeconfig: kubeconfig(fake.url, { token: 'good-token' }),
        pollInterval: '20ms',
        ...settings,
      },
      isSecret: (v) => v.includes(secret),
    });
    return runner;
  }

  it('runs the Job, passes DATE and the secret through a Secret, streams the log and deletes the Job', async () => {
    const runner = await setup();
    const c = collector();
    const outcome = await runner.run(spec(), c.io());
    expect(outcome).toEqual({ exitCode: 0, error: null, retryable: true });
    expect(c.out()).toEqual([`DATE=20260301 token=${secret}`, 'done']);
    const name = jobName(spec());
    const secretKey = `batch/${secretName('nightly_etl')}`;
    expect(fake.secrets.get(secretKey)?.['data']).toEqual({ TOKEN: Buffer.from(secret).toString('base64') });
    const create = fake.requests.find(
      (r) => r.method === 'POST' && r.path === '/apis/batch/v1/namespaces/batch/jobs',
    );
    expect(create?.body?.['spec']?.backoffLimit).toBe(0);
    expect(JSON.stringify(create?.body)).not.toContain(secret);
    expect(fake.requests.every((r) => r.auth === 'Bearer good-token')).toBe(true);
    expect(fake.requests.some((r) => r.path.includes('watch=true'))).toBe(true);
    expect(fake.deletes).toEqual([{ job: name, propagationPolicy: 'Background' }]);
    expect(fake.jobs.size).toBe(0);
    expect(c.notes()).toEqual([
      `wrote Secret batch/${secretName('nightly_etl')} (TOKEN)`,
      expect.stringMatching(new RegExp(`^created Job batch/${name} \\(.*config-\\d+ \\(context test\\)\\)$`)),
      expect.stringMatching(new RegExp(`^pod ${name}-\\w+ started$`)),
      `deleted Job batch/${name} (Background)`,
    ]);
    // A second run replaces the Secret instead of failing on it.
    expect((await runner.run(spec({ runId: 'run_k2' }), collector().io())).exitCode).toBe(0);
    expect(fake.requests.filter((r) => r.path.includes('/secrets')).map((r) => r.method)).toEqual([
      'PUT',
      'POST',
      'PUT',
    ]);
  });

  it('returns the exit code of a failed pod, and the reason when it was killed', async () => {
    const runner = await setup({
      script: (job) =>
        job['metadata'].name.includes('-a1-')
          ? { lines: ['oops'], exitCode: 3 }
          : { lines: [], exitCode: 137, reason: 'OOMKilled' },
    });
    expect(await runner.run(spec(), collector().io())).toEqual({ exitCode: 3, error: null, retryable: true });
    expect(await runner.run(spec({ attempt: 2 }), collector().io())).toEqual({
      exitCode: 137,
      error: 'container OOMKilled',
      retryable: true,
    });
  });

  it('polls when watching is refused, and lists again when a watch has expired', async () => {
    let runner = await setup({ watch: false });
    let c = collector();
    expect((await runner.run(spec(), c.io())).exitCode).toBe(0);
    expect(c.notes()).toContainEqual(
      expect.stringMatching(/^watching the Job failed \(jobs.batch is forbidden: .*\); polling every 20 ms$/),
    );
    expect(c.out()).toEqual([`DATE=20260301 token=${secret}`, 'done']);
    await fake.close();
    runner = await setup({ expireFirstWatch: true });
    c = collector();
    expect((await runner.run(spec(), c.io())).exitCode).toBe(0);
    const gets = fake.requests.filter(
      (r) => r.method === 'GET' && r.path.startsWith('/apis/batch/v1/namespaces/batch/jobs/'),
    );
    expect(gets.length).toBeGreaterThanOrEqual(1);
  });

  it('notices the end from the pod when the watch goes quiet', async () => {
    const runner = await setup({ silentWatch: true });
    const c = collector();
    expect(await runner.run(spec(), c.io())).toEqual({ exitCode: 0, error: null, retryable: true });
    expect(c.out()).toEqual([`DATE=20260301 token=${secret}`, 'done']);
  });

  it('gives up on an image that does not exist without retrying', async () => {
    const runner = await setup({
      script: () => ({
        waiting: {
          reason: 'ImagePullBackOff',
          message: 'Back-off pulling image "registry.example.org/etl:1.4": manifest unknown',
        },
      }),
    });
    const outcome = await runner.run(spec(), collector().io());
    expect(outcome).toEqual({
      exitCode: null,
      error:
        'the image cannot be pulled: ImagePullBackOff: Back-off pulling image "registry.example.org/etl:1.4": manifest unknown',
      retryable: false,
    });
    expect(fake.deletes).toEqual([{ job: jobName(spec()), propagationPolicy: 'Background' }]);
  });

  it('references a configured Secret instead of writing one', async () => {
    const runner = await setup({}, { secretName: 'etl-secrets' });
    const outcome = await runner.run(spec(), collector().io());
    expect(outcome).toEqual({
      exitCode: null,
      error: 'the pod cannot start: CreateContainerConfigError: secret "etl-secrets" not found',
      retryable: false,
    });
    expect(fake.requests.some((r) => r.path.includes('/secrets'))).toBe(false);
    const create = fake.requests.find((r) => r.method === 'POST');
    expect(create?.body?.['spec'].template.spec.containers[0].env[1]).toEqual({
      name: 'TOKEN',
      valueFrom: { secretKeyRef: { name: 'etl-secrets', key: 'TOKEN' } },
    });
  });

  it('deletes the Job in the foreground on cancel, with its pod', async () => {
    const runner = await setup({ script: () => ({ lines: ['working'], forever: true }) });
    const c = collector();
    const controller = new AbortController();
    const done = runner.run(spec(), c.io(controller.signal));
    for (let i = 0; i < 200 && !c.out().includes('working'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(fake.podsOf(jobName(spec()))).toHaveLength(1);
    controller.abort('cancel');
    const name = jobName(spec());
    expect(await done).toEqual({
      exitCode: null,
      error: `stopped (Job batch/${name} deleted)`,
      retryable: true,
    });
    expect(fake.deletes).toEqual([{ job: name, propagationPolicy: 'Foreground' }]);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.podsOf(name)).toEqual([]);
    expect(fake.jobs.size).toBe(0);
  });

  it('follows the Job of the same attempt when an earlier launcher created it', async () => {
    const runner = await setup();
    const body = jobManifest(spec(), {}, { namespace: 'batch', secretVars: new Set(), secret: 'x' });
    await fetch(`${fake.url}/apis/batch/v1/namespaces/batch/jobs`, {
      method: 'POST',
      headers: { authorization: 'Bearer good-token', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const c = collector();
    expect(await runner.run(spec(), c.io())).toEqual({ exitCode: 0, error: null, retryable: true });
    expect(c.notes()).toContain(`found Job batch/${jobName(spec())} from an earlier launch of this attempt`);
  });

  it('does not retry a refused login, and retries an unreachable server', async () => {
    fake = await FakeKube.start({ token: 'good-token' });
    const refused = new KubernetesRunner({
      settings: { kubeconfig: kubeconfig(fake.url, { token: 'wrong' }) },
    });
    expect(await refused.run(spec({ env: { DATE: '20260301' } }), collector().io())).toEqual({
      exitCode: null,
      error: 'kubernetes API 401 Unauthorized: Unauthorized',
      retryable: false,
    });
    const gone = new KubernetesRunner({
      settings: { kubeconfig: kubeconfig('http://127.0.0.1:1', { token: 'x' }) },
    });
    const outcome = await gone.run(spec({ env: { DATE: '20260301' } }), collector().io());
    expect(outcome).toMatchObject({ exitCode: null, retryable: true });
    expect(outcome.error).toMatch(/^kubernetes API unreachable: .*ECONNREFUSED/);
    const missing = new KubernetesRunner({ settings: { kubeconfig: join(dir, 'nope') } });
    expect(await missing.run(spec(), collector().io())).toEqual({
      exitCode: null,
      error: `kubernetes: kubeconfig ${join(dir, 'nope')} does not exist`,
      retryable: false,
    });
  });

  it('authenticates with an exec credential plugin', async () => {
    const plugin = join(dir, 'get-token.sh');
    writeFileSync(
      plugin,
      `#!/bin/sh\necho "$KUBERNETES_EXEC_INFO" > "${dir}/exec-info.json"\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"'$FAKE_TOKEN'"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    fake = await FakeKube.start({ token: 'from-plugin', script: () => ({ lines: ['ok'] }) });
    const config = kubeconfig(fake.url, {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: plugin,
        env: [{ name: 'FAKE_TOKEN', value: 'from-plugin' }],
        interactiveMode: 'Never',
      },
    });
    const runner = new KubernetesRunner({ settings: { kubeconfig: config, pollInterval: '20ms' } });
    expect(await runner.run(spec(), collector().io())).toEqual({ exitCode: 0, error: null, retryable: true });
    expect(JSON.parse(readFileSync(join(dir, 'exec-info.json'), 'utf8'))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false },
    });
  });

  it('connects over TLS with a client certificate and a CA from the kubeconfig', async () => {
    const pki = join(dir, 'pki');
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: pki, stdio: 'pipe' });
    execFileSync('mkdir', ['-p', pki]);
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=fake-ca',
    );
    for (const [who, ext] of [
      ['server', 'subjectAltName=IP:127.0.0.1'],
      ['client', 'extendedKeyUsage=clientAuth'],
    ] as const) {
      ssl(
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${who}.key`,
        '-out',
        `${who}.csr`,
        '-subj',
        `/CN=${who}`,
      );
      writeFileSync(join(pki, `${who}.ext`), `${ext}\n`);
      ssl(
        'x509',
        '-req',
        '-in',
        `${who}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${who}.crt`,
        '-days',
        '2',
        '-extfile',
        `${who}.ext`,
      );
    }
    const read = (f: string) => readFileSync(join(pki, f), 'utf8');
    fake = await FakeKube.start({
      token: 'unused',
      tls: { key: read('server.key'), cert: read('server.crt'), ca: read('ca.crt') },
      script: () => ({ lines: ['over tls'] }),
    });
    const b64 = (f: string) => Buffer.from(read(f)).toString('base64');
    const config = kubeconfig(
      fake.url,
      { 'client-certificate-data': b64('client.crt'), 'client-key-data': b64('client.key') },
      { 'certificate-authority-data': b64('ca.crt') },
    );
    const c = collector();
    const runner = new KubernetesRunner({ settings: { kubeconfig: config, pollInterval: '20ms' } });
    expect(await runner.run(spec({ env: { DATE: '20260301' } }), c.io())).toEqual({
      exitCode: 0,
      error: null,
      retryable: true,
    });
    expect(c.out()).toEqual(['over tls']);
  });
});

describe('pod log', () => {
  it('skips the lines a reopened stream repeats, even several at one instant', async () => {
    const calls: string[] = [];
    const streams = [
      ['2026-03-01T10:00:00.5Z a', '2026-03-01T10:00:01.1Z b', '2026-03-01T10:00:01.1Z c'],
      // Reopened with sinceTime=10:00:01: that second comes again, with what followed.
      [
        '2026-03-01T10:00:01.1Z b',
        '2026-03-01T10:00:01.1Z c',
        '2026-03-01T10:00:01.1Z d',
        '2026-03-01T10:00:02Z e',
      ],
    ];
    const client = {
      lines: async (path: string, _signal: AbortSignal, onLine: (l: string) => void) => {
        calls.push(path);
        for (const l of streams.shift() ?? []) onLine(l);
      },
    } as unknown as KubeClient;
    const got: string[] = [];
    const log = new PodLog({ client, namespace: 'batch', pod: 'p-1', onLine: (t) => got.push(t) });
    log.start();
    await new Promise((r) => setTimeout(r, 20));
    await log.finish();
    expect(got).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(calls).toEqual([
      '/api/v1/namespaces/batch/pods/p-1/log?container=job&timestamps=true&follow=true',
      '/api/v1/namespaces/batch/pods/p-1/log?container=job&timestamps=true&sinceTime=2026-03-01T10%3A00%3A01Z',
    ]);
  });
});
