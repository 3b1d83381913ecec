import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** What the fake kubelet does with a Job's pod; given the container's env as the kubelet resolves it. */
export interface PodScript {
  /** The container never starts: it waits with this reason (e.g. ImagePullBackOff). */
  waiting?: { reason: string; message: string };
  /** Printed one by one, `lineMs` apart. */
  lines?: string[];
  lineMs?: number;
  exitCode?: number;
  /** The terminated reason; `Completed` or `Error` by default. */
  reason?: string;
  /** Runs until the pod is deleted. */
  forever?: boolean;
}

export interface FakeKubeOptions {
  token: string;
  script?: (job: Obj, env: Record<string, string>) => PodScript;
  /** False: watch requests are refused with 403, as by an RBAC role without `watch`. */
  watch?: boolean;
  /** Watches stay open and say nothing, as behind a proxy that holds the stream. */
  silentWatch?: boolean;
  /** Answers the first watch of each Job with a 410 Gone event, as when its resourceVersion is too old. */
  expireFirstWatch?: boolean;
  tls?: { key: string; cert: string; ca: string };
}

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are free-form JSON here.
type Obj = Record<string, any>;

interface PodState {
  pod: Obj;
  log: { stamp: string; text: string }[];
  timers: NodeJS.Timeout[];
  followers: Set<ServerResponse>;
}

/**
 * A Kubernetes API server for the runner's tests, speaking the subset the runner uses with the
 * real paths, status codes and JSON shapes: Jobs (create, get, watch, delete with propagation),
 * pods listed by `job-name`, pod logs (timestamps, follow, sinceTime), Secrets (create, replace),
 * and Status errors. A fake job controller and kubelet give each Job one pod run by `script`.
 */
export class FakeKube {
  readonly jobs = new Map<string, Obj>();
  readonly pods = new Map<string, PodState>();
  readonly secrets = new Map<string, Obj>();
  readonly requests: { method: string; path: string; auth: string | undefined; body: Obj | null }[] = [];
  readonly deletes: { job: string; propagationPolicy: string | undefined }[] = [];
  readonly #events: { rv: number; key: string; type: string; object: Obj }[] = [];
  readonly #watchers = new Set<{ key: string; res: ServerResponse }>();
  readonly #expired = new Set<string>();
  readonly #server: http.Server;
  readonly #opts: FakeKubeOptions;
  #rv = 100;
  #clock = Date.parse('2026-03-01T10:00:00Z') * 1e6;
  url = '';

  private constructor(opts: FakeKubeOptions) {
    this.#opts = opts;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res);
    this.#server = opts.tls
      ? https.createServer({ ...opts.tls, requestCert: true, rejectUnauthorized: true }, handler)
      : http.createServer(handler);
  }

  static async start(opts: FakeKubeOptions): Promise<FakeKube> {
    const fake = new FakeKube(opts);
    await new Promise<void>((r) => fake.#server.listen(0, '127.0.0.1', r));
    const port = (fake.#server.address() as AddressInfo).port;
    fake.url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return fake;
  }

  async close(): Promise<void> {
    for (const p of this.pods.values()) for (const t of p.timers) clearTimeout(t);
    for (const w of this.#watchers) w.res.end();
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }

  /** Pods of a Job, as the API lists them. */
  podsOf(job: string): Obj[] {
    return [...this.pods.values()].map((p) => p.pod).filter((p) => p.metadata.labels['job-name'] === job);
  }

  async #handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Obj) : null;
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname + url.search,
      auth: req.headers.authorization,
      body,
    });
    const clientCert = req.socket && 'getPeerCertificate' in req.socket;
    if (!clientCert && req.headers.authorization !== `Bearer ${this.#opts.token}`) {
      return this.#status(res, 401, 'Unauthorized', 'Unauthorized');
    }
    const parts = url.pathname.split('/').filter(Boolean);
    const q = url.searchParams;
    // /apis/batch/v1/namespaces/{ns}/jobs[/{name}]
    if (parts[0] === 'apis' && parts[1] === 'batch' && parts[5] === 'jobs') {
      const ns = parts[4]!;
      const name = parts[6];
      if (req.method === 'POST' && !name) return this.#createJob(ns, body ?? {}, res);
      if (req.method === 'GET' && !name && q.get('watch') === 'true') return this.#watch(ns, q, res);
      if (req.method === 'GET' && name) {
        const job = this.jobs.get(`${ns}/${name}`);
        return job ? this.#json(res, 200, job) : this.#notFound(res, 'jobs', 'batch', name);
      }
      if (req.method === 'DELETE' && name) return this.#deleteJob(ns, name, body, q, res);
    }
    // /api/v1/namespaces/{ns}/pods[/{name}/log] and /secrets[/{name}]
    if (parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'namespaces') {
      const ns = parts[3]!;
      if (parts[4] === 'pods' && !parts[5] && req.method === 'GET') {
        const selector = /^job-name=(.+)$/.exec(q.get('labelSelector') ?? '');
        const items = [...this.pods.values()]
          .map((p) => p.pod)
          .filter(
            (p) =>
              p.metadata.namespace === ns && (!selector || p.metadata.labels['job-name'] === selector[1]),
          );
        return this.#json(res, 200, {
          kind: 'PodList',
          apiVersion: 'v1',
          metadata: { resourceVersion: String(this.#rv) },
          items,
        });
      }
      if (parts[4] === 'pods' && parts[6] === 'log' && req.method === 'GET')
        return this.#log(ns, parts[5]!, q, res);
      if (parts[4] === 'secrets') return this.#secret(req.method ?? '', ns, parts[5], body, res);
    }
    this.#status(res, 404, 'NotFound', 'the server could not find the requested resource');
  }

  #createJob(ns: string, job: Obj, res: ServerResponse) {
    const name: string | undefined = job.metadata?.name;
    const problems: string[] = [];
    if (!name || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name))
      problems.push('metadata.name: Invalid value');
    const podSpec = job.spec?.template?.spec;
    if (!['Never', 'OnFailure'].includes(podSpec?.restartPolicy)) {
      problems.push('spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"');
    }
    if (!podSpec?.containers?.[0]?.image)
      problems.push('spec.template.spec.containers[0].image: Required value');
    if (problems.length > 0) {
      return this.#status(res, 422, 'Invalid', `Job.batch "${name}" is invalid: ${problems.join(', ')}`);
    }
    const key = `${ns}/${name}`;
    if (this.jobs.has(key))
      return this.#status(res, 409, 'AlreadyExists', `jobs.batch "${name}" already exists`);
    const uid = `uid-${++this.#rv}`;
    const stored = {
      ...job,
      metadata: {
        ...job.metadata,
        namespace: ns,
        uid,
        resourceVersion: String(this.#rv),
        creationTimestamp: '2026-03-01T10:00:00Z',
      },
      status: {},
    };
    this.jobs.set(key, stored);
    this.#emit(key, 'ADDED', stored);
    this.#json(res, 201, stored);
    setTimeout(() => this.#startPod(ns, stored), 5);
  }

  #startPod(ns: string, job: Obj) {
    if (!this.jobs.has(`${ns}/${job.metadata.name}`)) return;
    const container = job.spec.template.spec.containers[0];
    const podName = `${job.metadata.name.slice(0, 57)}-${(this.pods.size + 10_000).toString(36)}`;
    const pod: Obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace: ns,
        labels: {
          ...job.spec.template.metadata?.labels,
          'job-name': job.metadata.name,
          'controller-uid': job.metadata.uid,
        },
        creationTimestamp: '2026-03-01T10:00:00Z',
      },
      spec: job.spec.template.spec,
      status: {
        phase: 'Pending',
        containerStatuses: [{ name: container.name, state: { waiting: { reason: 'ContainerCreating' } } }],
      },
    };
    const state: PodState = { pod, log: [], timers: [], followers: new Set() };
    this.pods.set(`${ns}/${podName}`, state);
    const env: Record<string, string> = {};
    for (const e of container.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref) {
        env[e.name] = e.value;
        continue;
      }
      const secret = this.secrets.get(`${ns}/${ref.name}`);
      if (!secret || secret.data?.[ref.key] === undefined) {
        const why = secret
          ? `couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`
          : `secret "${ref.name}" not found`;
        return this.#wait(state, { reason: 'CreateContainerConfigError', message: why });
      }
      env[e.name] = Buffer.from(secret.data[ref.key], 'base64').toString('utf8');
    }
    const script = this.#opts.script?.(job, env) ?? {};
    if (script.waiting) return this.#wait(state, script.waiting);
    const at = (ms: number, fn: () => void) => state.timers.push(setTimeout(fn, ms));
    at(10, () => {
      pod.status = {
        phase: 'Running',
        containerStatuses: [
          { name: container.name, state: { running: { startedAt: '2026-03-01T10:00:01Z' } } },
        ],
      };
      const lineMs = script.lineMs ?? 5;
      for (const [i, text] of (script.lines ?? []).entries()) {
        at(lineMs * (i + 1), () => this.#print(state, text));
      }
      if (script.forever) return;
      at(lineMs * ((script.lines?.length ?? 0) + 1), () => this.#terminate(ns, job, state, script));
    });
  }

  #wait(state: PodState, waiting: { reason: string; message: string }) {
    state.timers.push(
      setTimeout(() => {
        state.pod.status = { phase: 'Pending', containerStatuses: [{ name: 'job', state: { waiting } }] };
      }, 10),
    );
  }

  #print(state: PodState, text: string) {
    this.#clock += 1_000_123;
    const seconds = Math.floor(this.#clock / 1e9);
    const frac = String(this.#clock % 1e9)
      .padStart(9, '0')
      .replace(/0+$/, '');
    const stamp = `${new Date(seconds * 1000).toISOString().slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
    state.log.push({ stamp, text });
    for (const f of state.followers) f.write(`${stamp} ${text}\n`);
  }

  #terminate(ns: string, job: Obj, state: PodState, script: PodScript) {
    const exitCode = script.exitCode ?? 0;
    const reason = script.reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    state.pod.status = {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      containerStatuses: [{ name: 'job', state: { terminated: { exitCode, reason } } }],
    };
    for (const f of state.followers) f.end();
    state.followers.clear();
    const key = `${ns}/${job.metadata.name}`;
    const current = this.jobs.get(key);
    if (!current) return;
    const ok = exitCode === 0;
    current.status = ok
      ? { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }
      : {
          failed: 1,
          conditions: [
            {
              type: 'Failed',
              status: 'True',
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
            },
          ],
        };
    current.metadata.resourceVersion = String(++this.#rv);
    this.#emit(key, 'MODIFIED', current);
  }

  #watch(ns: string, q: URLSearchParams, res: ServerResponse) {
    if (this.#opts.watch === false) {
      return this.#status(
        res,
        403,
        'Forbidden',
        `jobs.batch is forbidden: User "enquete" cannot watch resource "jobs" in API group "batch" in the namespace "${ns}"`,
      );
    }
    const name = /^metadata\.name=(.+)$/.exec(q.get('fieldSelector') ?? '')?.[1] ?? '';
    const key = `${ns}/${name}`;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    if (this.#opts.expireFirstWatch && !this.#expired.has(key)) {
      this.#expired.add(key);
      res.end(
        `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version', reason: 'Expired', code: 410 } })}\n`,
      );
      return;
    }
    if (this.#opts.silentWatch) {
      const silent = { key: '', res };
      this.#watchers.add(silent);
      res.on('close', () => this.#watchers.delete(silent));
      return;
    }
    const from = Number(q.get('resourceVersion') ?? 0);
    for (const e of this.#events) {
      if (e.key === key && e.rv > from) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    }
    const watcher = { key, res };
    this.#watchers.add(watcher);
    res.on('close', () => this.#watchers.delete(watcher));
  }

  #emit(key: string, type: string, object: Obj) {
    const snapshot = structuredClone(object);
    this.#events.push({ rv: Number(object.metadata.resourceVersion), key, type, object: snapshot });
    for (const w of this.#watchers)
      if (w.key === key) w.res.write(`${JSON.stringify({ type, object: snapshot })}\n`);
  }

  #deleteJob(ns: string, name: string, body: Obj | null, q: URLSearchParams, res: ServerResponse) {
    const key = `${ns}/${name}`;
    const job = this.jobs.get(key);
    if (!job) return this.#notFound(res, 'jobs', 'batch', name);
    const propagationPolicy = body?.propagationPolicy ?? q.get('propagationPolicy') ?? undefined;
    this.deletes.push({ job: name, propagationPolicy });
    const removePods = () => {
      for (const [k, p] of this.pods) {
        if (p.pod.metadata.labels['job-name'] !== name) continue;
        for (const t of p.timers) clearTimeout(t);
        for (const f of p.followers) f.end();
        this.pods.delete(k);
      }
    };
    if (propagationPolicy === 'Foreground') {
      job.metadata = {
        ...job.metadata,
        deletionTimestamp: '2026-03-01T10:00:02Z',
        finalizers: ['foregroundDeletion'],
        resourceVersion: String(++this.#rv),
      };
      this.#emit(key, 'MODIFIED', job);
      this.#json(res, 200, job);
      setTimeout(() => {
        removePods();
        this.jobs.delete(key);
        job.metadata.resourceVersion = String(++this.#rv);
        this.#emit(key, 'DELETED', job);
      }, 5);
      return;
    }
    this.jobs.delete(key);
    job.metadata.resourceVersion = String(++this.#rv);
    this.#emit(key, 'DELETED', job);
    this.#json(res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: 'batch', kind: 'jobs', uid: job.metadata.uid },
    });
    setTimeout(removePods, 5);
  }

  #log(ns: string, podName: string, q: URLSearchParams, res: ServerResponse) {
    const state = this.pods.get(`${ns}/${podName}`);
    if (!state) return this.#notFound(res, 'pods', '', podName);
    const cs = state.pod.status.containerStatuses?.[0]?.state ?? {};
    if (cs.waiting) {
      return this.#status(
        res,
        400,
        'BadRequest',
        `container "job" in pod "${podName}" is waiting to start: ${cs.waiting.reason}`,
      );
    }
    const since = q.get('sinceTime');
    const stamps = q.get('timestamps') === 'true';
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    for (const l of state.log) {
      // sinceTime has whole seconds: every line of that second comes again.
      if (since && l.stamp.slice(0, 19) < since.slice(0, 19)) continue;
      res.write(stamps ? `${l.stamp} ${l.text}\n` : `${l.text}\n`);
    }
    if (q.get('follow') === 'true' && cs.running) {
      state.followers.add(res);
      res.on('close', () => state.followers.delete(res));
      return;
    }
    res.end();
  }

  #secret(method: string, ns: string, name: string | undefined, body: Obj | null, res: ServerResponse) {
    const key = `${ns}/${name ?? body?.metadata?.name}`;
    if (method === 'GET' && name) {
      const s = this.secrets.get(key);
      return s ? this.#json(res, 200, s) : this.#notFound(res, 'secrets', '', name);
    }
    if (method === 'POST' && !name) {
      if (this.secrets.has(key))
        return this.#status(res, 409, 'AlreadyExists', `secrets "${body?.metadata?.name}" already exists`);
      const stored = {
        ...body,
        metadata: { ...body?.metadata, namespace: ns, resourceVersion: String(++this.#rv) },
      };
      this.secrets.set(key, stored);
      return this.#json(res, 201, stored);
    }
    if (method === 'PUT' && name) {
      if (!this.secrets.has(key)) return this.#notFound(res, 'secrets', '', name);
      const stored = {
        ...body,
        metadata: { ...body?.metadata, namespace: ns, resourceVersion: String(++this.#rv) },
      };
      this.secrets.set(key, stored);
      return this.#json(res, 200, stored);
    }
    this.#status(
      res,
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    );
  }

  #json(res: ServerResponse, code: number, body: unknown) {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  #notFound(res: ServerResponse, kind: string, group: string, name: string) {
    const what = group ? `${kind}.${group}` : kind;
    this.#json(res, 404, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `${what} "${name}" not found`,
      reason: 'NotFound',
      details: { name, group, kind },
      code: 404,
    });
  }

  #status(res: ServerResponse, code: number, reason: string, message: string) {
    this.#json(res, code, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    });
  }
}
