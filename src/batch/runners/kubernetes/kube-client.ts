import { readFileSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { LineSplitter } from '../line-splitter.ts';
import { type Credential, runExecCredential } from './exec-credential.ts';
import type { KubeConnection } from './kubeconfig.ts';

/** An API answer of 400 and above, with the Status object's reason (`NotFound`, `AlreadyExists`…). */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface KubeClientProps {
  connection: KubeConnection;
  /** For exec credential plugins; `process.env` by default. */
  env?: Record<string, string | undefined>;
  /** Milliseconds since the epoch, to tell when an exec credential has expired. */
  now?: () => number;
}

/**
 * The few calls the Kubernetes runner makes, over plain HTTP(S): JSON requests, and streams read
 * line by line (watches, followed logs). Authenticates with a token, a token file (re-read, as
 * projected service-account tokens rotate), basic auth, a client certificate, or an exec
 * credential plugin (cached until it expires, refreshed once on a 401).
 *
 * @example
 * const client = new KubeClient({ connection: loadConnection({}, process.env) });
 * const job = await client.json('GET', '/apis/batch/v1/namespaces/default/jobs/etl');
 */
export class KubeClient {
  readonly connection: KubeConnection;
  readonly #env: Record<string, string | undefined>;
  readonly #now: () => number;
  #credential: Credential | null = null;

  constructor(props: KubeClientProps) {
    this.connection = props.connection;
    this.#env = props.env ?? process.env;
    this.#now = props.now ?? (() => Date.now());
  }

  /** A JSON request; throws KubeApiError for a status of 400 and above. */
  async json<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#send(method, path, body, undefined);
    const text = await readAll(res);
    if ((res.statusCode ?? 0) >= 400) throw apiError(res.statusCode ?? 0, text);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  /**
   * A streamed GET whose body is read line by line until it ends or `signal` aborts (then it
   * resolves too). Throws KubeApiError when the answer is an error. A line over 1,000,000
   * characters comes in pieces, none cut inside one of `keepWhole` (see LineSplitter).
   */
  async lines(
    path: string,
    signal: AbortSignal,
    onLine: (line: string) => void,
    keepWhole: readonly string[] = [],
  ): Promise<void> {
    const res = await this.#send('GET', path, undefined, signal);
    if ((res.statusCode ?? 0) >= 400) throw apiError(res.statusCode ?? 0, await readAll(res));
    await new Promise<void>((resolve) => {
      const split = new LineSplitter(onLine, 1_000_000, keepWhole);
      res.on('data', (b: Buffer) => split.push(b));
      const done = () => {
        split.end();
        resolve();
      };
      res.once('end', done);
      res.once('error', done);
      res.once('close', done);
    });
  }

  async #send(method: string, path: string, body: unknown, signal: AbortSignal | undefined) {
    let res = await this.#request(method, path, body, signal, false);
    if (res.statusCode === 401 && this.connection.auth.type === 'exec') {
      res.resume();
      res = await this.#request(method, path, body, signal, true);
    }
    return res;
  }

  async #request(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    refresh: boolean,
  ): Promise<IncomingMessage> {
    const c = this.connection;
    const url = new URL(c.server + path);
    const headers: Record<string, string> = { accept: 'application/json' };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    let cert = c.cert;
    let key = c.key;
    const auth = c.auth;
    if (auth.type === 'token') headers['authorization'] = `Bearer ${auth.token}`;
    else if (auth.type === 'tokenFile') {
      headers['authorization'] = `Bearer ${readFileSync(auth.path, 'utf8').trim()}`;
    } else if (auth.type === 'basic') {
      headers['authorization'] =
        `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    } else if (auth.type === 'exec') {
      const cred = await this.#execCredential(refresh);
      if (cred.token) headers['authorization'] = `Bearer ${cred.token}`;
      cert = cred.cert ?? cert;
      key = cred.key ?? key;
    }
    const options: https.RequestOptions = { method, headers, signal };
    if (url.protocol === 'https:') {
      Object.assign(options, {
        ca: c.ca,
        cert,
        key,
        rejectUnauthorized: !c.insecureSkipTlsVerify,
        servername: c.tlsServerName,
      });
    }
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(url, options, resolve);
      req.once('error', reject);
      req.end(payload);
    });
  }

  async #execCredential(refresh: boolean): Promise<Credential> {
    const cached = this.#credential;
    // A minute's margin, so that a token does not expire on its way.
    if (!refresh && cached && (cached.expiresAt === null || cached.expiresAt - 60_000 > this.#now())) {
      return cached;
    }
    if (this.connection.auth.type !== 'exec') throw new Error('not an exec credential');
    this.#credential = await runExecCredential(this.connection.auth.exec, this.#env);
    return this.#credential;
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (b: Buffer) => chunks.push(b));
    res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.once('error', reject);
  });
}

function apiError(status: number, text: string): KubeApiError {
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string };
    return new KubeApiError(status, s.reason ?? '', s.message ?? `HTTP ${status}`);
  } catch {
    return new KubeApiError(status, '', `HTTP ${status}: ${text.slice(0, 200)}`);
  }
}
