import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ExecCredentialSpec } from './exec-credential.ts';

/** How to reach and authenticate to a cluster's API server. */
export interface KubeConnection {
  /** `https://host:port`, no trailing slash. */
  server: string;
  /** PEM: the CA to trust, a client certificate and its key. */
  ca?: string;
  cert?: string;
  key?: string;
  insecureSkipTlsVerify?: boolean;
  /** SNI and certificate name when they differ from the server's host. */
  tlsServerName?: string;
  auth: KubeAuth;
  /** The context's namespace (or the pod's, in a cluster); `default` when none. */
  namespace: string;
  /** Where it came from, for messages: a kubeconfig path and context, or `in-cluster`. */
  source: string;
}

export type KubeAuth =
  | { type: 'none' }
  | { type: 'token'; token: string }
  /** Re-read on use: projected service-account tokens rotate. */
  | { type: 'tokenFile'; path: string }
  | { type: 'basic'; username: string; password: string }
  | { type: 'exec'; exec: ExecCredentialSpec };

export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

interface Named<T> {
  name: string;
  [key: string]: unknown;
  value: T;
}

/**
 * Finds the connection like kubectl: an explicit kubeconfig, else `$KUBECONFIG` (its first
 * file), else `~/.kube/config`, else the pod's service account when running in a cluster.
 * Throws an Error saying what is missing.
 *
 * @example
 * const conn = loadConnection({ context: 'prod' }, process.env);
 */
export function loadConnection(
  opts: { kubeconfig?: string; context?: string; inCluster?: boolean },
  env: Record<string, string | undefined>,
): KubeConnection {
  if (opts.inCluster) return inClusterConnection(env);
  const explicit = opts.kubeconfig ?? env['KUBECONFIG']?.split(':').find((p) => p !== '');
  const path = explicit ?? join(env['HOME'] ?? homedir(), '.kube', 'config');
  if (existsSync(path)) return kubeconfigConnection(path, opts.context);
  if (explicit !== undefined) throw new Error(`kubeconfig ${path} does not exist`);
  if (env['KUBERNETES_SERVICE_HOST']) return inClusterConnection(env);
  throw new Error('no kubeconfig (KUBECONFIG, ~/.kube/config) and not running in a cluster');
}

function inClusterConnection(env: Record<string, string | undefined>): KubeConnection {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  if (!host) throw new Error('in-cluster: KUBERNETES_SERVICE_HOST is not set');
  const tokenPath = join(serviceAccountDir, 'token');
  if (!existsSync(tokenPath)) throw new Error(`in-cluster: ${tokenPath} does not exist`);
  const nsPath = join(serviceAccountDir, 'namespace');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(join(serviceAccountDir, 'ca.crt'), 'utf8'),
    auth: { type: 'tokenFile', path: tokenPath },
    namespace: existsSync(nsPath) ? readFileSync(nsPath, 'utf8').trim() : 'default',
    source: 'in-cluster',
  };
}

/** Reads one kubeconfig file; relative paths in it are relative to its directory. */
export function kubeconfigConnection(path: string, contextName?: string): KubeConnection {
  const doc = (parseYaml(readFileSync(path, 'utf8')) ?? {}) as Record<string, unknown>;
  const base = dirname(resolve(path));
  const wanted = contextName ?? (doc['current-context'] as string | undefined);
  if (!wanted) throw new Error(`${path}: no context given and no current-context`);
  const context = pick<Record<string, string>>(doc, 'contexts', 'context', wanted, path);
  const cluster = pick<Record<string, unknown>>(doc, 'clusters', 'cluster', context['cluster'] ?? '', path);
  const user = context['user']
    ? pick<Record<string, unknown>>(doc, 'users', 'user', context['user'], path)
    : {};
  const file = (key: string, from: Record<string, unknown>): string | undefined => {
    const data = from[`${key}-data`];
    if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
    const p = from[key];
    if (typeof p !== 'string') return undefined;
    return readFileSync(isAbsolute(p) ? p : join(base, p), 'utf8');
  };
  const server = cluster['server'];
  if (typeof server !== 'string') throw new Error(`${path}: cluster ${context['cluster']} has no server`);
  return {
    server: server.replace(/\/+$/, ''),
    ca: file('certificate-authority', cluster),
    cert: file('client-certificate', user),
    key: file('client-key', user),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: typeof cluster['tls-server-name'] === 'string' ? cluster['tls-server-name'] : undefined,
    auth: userAuth(user, base),
    namespace: context['namespace'] || 'default',
    source: `${path} (context ${wanted})`,
  };
}

function userAuth(user: Record<string, unknown>, base: string): KubeAuth {
  if (typeof user['token'] === 'string') return { type: 'token', token: user['token'] };
  if (typeof user['tokenFile'] === 'string') {
    const p = user['tokenFile'];
    return { type: 'tokenFile', path: isAbsolute(p) ? p : join(base, p) };
  }
  if (typeof user['username'] === 'string' && typeof user['password'] === 'string') {
    return { type: 'basic', username: user['username'], password: user['password'] };
  }
  const exec = user['exec'] as Record<string, unknown> | undefined;
  if (exec && typeof exec['command'] === 'string') {
    const command = exec['command'];
    // kubectl resolves a command given with a path relative to the kubeconfig's directory.
    const resolved = command.includes('/') && !isAbsolute(command) ? join(base, command) : command;
    return {
      type: 'exec',
      exec: {
        apiVersion: (exec['apiVersion'] as string | undefined) ?? 'client.authentication.k8s.io/v1',
        command: resolved,
        args: ((exec['args'] as unknown[] | undefined) ?? []).map(String),
        env: ((exec['env'] as { name: string; value: string }[] | undefined) ?? []).map((e) => ({
          name: String(e.name),
          value: String(e.value),
        })),
      },
    };
  }
  return { type: 'none' };
}

function pick<T>(doc: Record<string, unknown>, list: string, key: string, name: string, path: string): T {
  const items = (doc[list] as Named<T>[] | undefined) ?? [];
  const found = items.find((i) => i.name === name) as Record<string, unknown> | undefined;
  if (!found) throw new Error(`${path}: no ${key} named ${name}`);
  return (found[key] ?? {}) as T;
}
