import type { RunIo, Runner, RunOutcome, RunSpec } from '../runner.ts';
import { settingMs } from '../settings-fields.ts';
import { jobManifest, jobName, secretManifest, secretName } from './job-manifest.ts';
import {
  finishedOutcome,
  hasStarted,
  type JobState,
  jobState,
  type KubeJob,
  type KubePod,
  stuckPod,
  terminated,
} from './job-status.ts';
import { watchJob } from './job-watch.ts';
import { KubeApiError, KubeClient } from './kube-client.ts';
import { loadConnection } from './kubeconfig.ts';
import type { KubernetesSettings } from './kubernetes-settings.ts';
import { PodLog } from './pod-log.ts';

export interface KubernetesRunnerProps {
  /** The settings, or a function giving each job's (shared settings with its own over them). */
  settings?: KubernetesSettings | ((spec: RunSpec) => KubernetesSettings);
  /** Whether an env value holds a secret (a value some `${NAME}` resolved to). */
  isSecret?: (value: string) => boolean;
  /** Where KUBECONFIG, HOME and the in-cluster variables are read; `process.env` by default. */
  env?: Record<string, string | undefined>;
  /** Makes the API client for a job's settings; by default from its kubeconfig or the pod's account. */
  client?: (settings: KubernetesSettings) => KubeClient;
}

type Ending =
  | { kind: 'done'; state: Extract<JobState, { done: true }> }
  | { kind: 'stuck'; outcome: RunOutcome }
  | { kind: 'deleted' }
  | { kind: 'stopped' };

/**
 * Runs an attempt as a batch/v1 Job named after it, follows it by watch (polling when watching is
 * refused), streams the pod's log into the run log, and deletes the Job when the attempt ends —
 * in the foreground on timeout or cancel, so that the pod goes too. Secret env values go through a
 * Secret (enquete's own per job, or `secretName`), never into the Job.
 *
 * @example
 * const runner = new KubernetesRunner({ settings: { namespace: 'batch' }, isSecret: (v) => masker.mask(v) !== v });
 * const outcome = await runner.run(spec, { onLine, onNote, signal });
 */
export class KubernetesRunner implements Runner {
  readonly kind = 'kubernetes' as const;
  readonly #settings: (spec: RunSpec) => KubernetesSettings;
  readonly #isSecret: (value: string) => boolean;
  readonly #makeClient: (settings: KubernetesSettings) => KubeClient;
  readonly #clients = new Map<string, KubeClient>();

  constructor(props: KubernetesRunnerProps = {}) {
    const s = props.settings ?? {};
    this.#settings = typeof s === 'function' ? s : () => s;
    this.#isSecret = props.isSecret ?? (() => false);
    const env = props.env ?? process.env;
    this.#makeClient =
      props.client ?? ((settings) => new KubeClient({ connection: loadConnection(settings, env), env }));
  }

  async run(spec: RunSpec, io: RunIo): Promise<RunOutcome> {
    if (!spec.image) return { exitCode: null, error: 'the job has no image', retryable: false };
    const settings = this.#settings(spec);
    let client: KubeClient;
    try {
      client = this.#client(settings);
    } catch (error) {
      return { exitCode: null, error: `kubernetes: ${(error as Error).message}`, retryable: false };
    }
    const ns = settings.namespace ?? client.connection.namespace;
    const name = jobName(spec);
    let created = false;
    try {
      const secretVars = new Set(Object.keys(spec.env).filter((k) => this.#isSecret(spec.env[k]!)));
      if (secretVars.size > 0 && settings.secretName === undefined) {
        await this.#writeSecret(client, ns, spec, secretVars, io);
      }
      if (io.signal.aborted) return { exitCode: null, error: 'stopped before the start', retryable: true };
      const secret = settings.secretName ?? secretName(spec.job);
      const body = jobManifest(spec, settings, { namespace: ns, secretVars, secret });
      const job = await this.#createJob(client, ns, body, io);
      created = true;
      return await this.#follow(client, ns, job, settingMs(settings.pollInterval, 2_000), io);
    } catch (error) {
      return apiOutcome(error);
    } finally {
      if (created) await this.#deleteJob(client, ns, name, io);
    }
  }

  #client(settings: KubernetesSettings): KubeClient {
    const key = JSON.stringify([settings.kubeconfig, settings.context, settings.inCluster]);
    let client = this.#clients.get(key);
    if (!client) {
      client = this.#makeClient(settings);
      this.#clients.set(key, client);
    }
    return client;
  }

  async #writeSecret(client: KubeClient, ns: string, spec: RunSpec, vars: Set<string>, io: RunIo) {
    const values = Object.fromEntries([...vars].map((k) => [k, spec.env[k]!]));
    const body = secretManifest(spec.job, ns, values);
    const path = `/api/v1/namespaces/${ns}/secrets`;
    try {
      await client.json('PUT', `${path}/${body.metadata.name}`, body);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 404)) throw error;
      await client.json('POST', path, body);
    }
    io.onNote(`wrote Secret ${ns}/${body.metadata.name} (${[...vars].sort().join(', ')})`);
  }

  async #createJob(client: KubeClient, ns: string, body: ReturnType<typeof jobManifest>, io: RunIo) {
    const path = `/apis/batch/v1/namespaces/${ns}/jobs`;
    try {
      const job = await client.json<KubeJob>('POST', path, body);
      io.onNote(`created Job ${ns}/${body.metadata.name} (${client.connection.source})`);
      return job;
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 409)) throw error;
      // The same attempt was launched before by a process that went away: follow its Job.
      const job = await client.json<KubeJob>('GET', `${path}/${body.metadata.name}`);
      io.onNote(`found Job ${ns}/${body.metadata.name} from an earlier launch of this attempt`);
      return job;
    }
  }

  async #follow(
    client: KubeClient,
    ns: string,
    job: KubeJob,
    pollMs: number,
    io: RunIo,
  ): Promise<RunOutcome> {
    const name = job.metadata.name;
    const stop = new AbortController();
    let pod: KubePod | null = null;
    let log: PodLog | null = null;
    const checkPods = async () => {
      const selector = encodeURIComponent(`job-name=${name}`);
      const list = await client.json<{ items: KubePod[] }>(
        'GET',
        `/api/v1/namespaces/${ns}/pods?labelSelector=${selector}`,
      );
      // backoffLimit 0: one pod, or a replacement when the first was evicted before it ran.
      pod = list.items.at(-1) ?? pod;
      if (pod && !log && hasStarted(pod)) {
        log = new PodLog({
          client,
          namespace: ns,
          pod: pod.metadata.name,
          onLine: (t) => io.onLine('stdout', t),
          secrets: io.secrets,
        });
        log.start();
        io.onNote(`pod ${pod.metadata.name} started`);
      }
      return pod ? stuckPod(pod) : null;
    };

    const ending = await new Promise<Ending>((resolve, reject) => {
      const onAbort = () => resolve({ kind: 'stopped' });
      if (io.signal.aborted) onAbort();
      io.signal.addEventListener('abort', onAbort, { once: true });
      stop.signal.addEventListener('abort', () => io.signal.removeEventListener('abort', onAbort));
      let checking = false;
      const tick = () => {
        if (checking || stop.signal.aborted) return;
        checking = true;
        checkPods()
          .then(async (outcome) => {
            if (outcome) return resolve({ kind: 'stuck', outcome });
            // The container has ended: ask for the Job too, should the watch have gone quiet.
            if (pod && terminated(pod)) {
              const state = jobState(
                await client.json<KubeJob>('GET', `/apis/batch/v1/namespaces/${ns}/jobs/${name}`),
              );
              if (state.done) resolve({ kind: 'done', state });
            }
          })
          // A failed check is tried again on the next tick.
          .catch(() => {})
          .finally(() => {
            checking = false;
          });
      };
      const timer = setInterval(tick, pollMs);
      stop.signal.addEventListener('abort', () => clearInterval(timer));
      watchJob({
        client,
        namespace: ns,
        job,
        pollMs,
        signal: stop.signal,
        onJob: (j) => {
          const state = jobState(j);
          if (state.done) resolve({ kind: 'done', state });
          else tick();
        },
        onDeleted: () => resolve({ kind: 'deleted' }),
        onNote: (t) => io.onNote(t),
      }).catch(reject);
    }).finally(() => stop.abort());

    const current = () => log as PodLog | null;
    if (ending.kind === 'done') {
      await checkPods().catch(() => null);
      await current()?.finish();
      return finishedOutcome(ending.state, pod);
    }
    current()?.stop();
    if (ending.kind === 'stuck') return ending.outcome;
    if (ending.kind === 'deleted') {
      return { exitCode: null, error: `the Job ${ns}/${name} was deleted by someone else`, retryable: true };
    }
    return { exitCode: null, error: `stopped (Job ${ns}/${name} deleted)`, retryable: true };
  }

  async #deleteJob(client: KubeClient, ns: string, name: string, io: RunIo): Promise<void> {
    // Foreground on a stop: the Job goes once its pod is gone. Background after the end: the log
    // is read, the pod may go at leisure.
    const propagationPolicy = io.signal.aborted ? 'Foreground' : 'Background';
    try {
      await client.json('DELETE', `/apis/batch/v1/namespaces/${ns}/jobs/${name}`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy,
      });
      io.onNote(`deleted Job ${ns}/${name} (${propagationPolicy})`);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return;
      io.onNote(`could not delete Job ${ns}/${name}: ${(error as Error).message}; its TTL will`);
    }
  }
}

/** An API failure as an outcome: retry on 429, 5xx and network errors, not on refusals. */
export function apiOutcome(error: unknown): RunOutcome {
  if (error instanceof KubeApiError) {
    const retryable = error.status === 429 || error.status >= 500;
    const reason = error.reason ? ` ${error.reason}` : '';
    return { exitCode: null, error: `kubernetes API ${error.status}${reason}: ${error.message}`, retryable };
  }
  return {
    exitCode: null,
    error: `kubernetes API unreachable: ${(error as Error).message}`,
    retryable: true,
  };
}
