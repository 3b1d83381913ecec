import { execFile } from 'node:child_process';

/** A kubeconfig `exec` credential plugin (aws eks get-token, gke-gcloud-auth-plugin, kubelogin…). */
export interface ExecCredentialSpec {
  apiVersion: string;
  command: string;
  args: string[];
  env: { name: string; value: string }[];
}

/** What a plugin answered: a bearer token and/or a client certificate, and when it expires. */
export interface Credential {
  token?: string;
  cert?: string;
  key?: string;
  /** Milliseconds since the epoch; null when the plugin gives no expiry. */
  expiresAt: number | null;
}

/**
 * Runs an exec credential plugin as kubectl does (non-interactive, `KUBERNETES_EXEC_INFO` set)
 * and reads the ExecCredential it prints.
 *
 * @example
 * const cred = await runExecCredential(spec, process.env);
 * headers.authorization = `Bearer ${cred.token}`;
 */
export function runExecCredential(
  spec: ExecCredentialSpec,
  baseEnv: Record<string, string | undefined>,
): Promise<Credential> {
  const info = { apiVersion: spec.apiVersion, kind: 'ExecCredential', spec: { interactive: false } };
  const env: Record<string, string | undefined> = { ...baseEnv, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
  for (const e of spec.env) env[e.name] = e.value;
  return new Promise((resolve, reject) => {
    execFile(
      spec.command,
      spec.args,
      { env, timeout: 60_000, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const detail = stderr.trim().split('\n').at(-1) ?? '';
          reject(new Error(`credential plugin ${spec.command} failed: ${error.message} ${detail}`.trim()));
          return;
        }
        try {
          const status = (JSON.parse(stdout) as { status?: Record<string, string> }).status ?? {};
          if (!status['token'] && !status['clientCertificateData'])
            throw new Error('no token or certificate');
          const expiry = status['expirationTimestamp'];
          resolve({
            token: status['token'],
            cert: status['clientCertificateData'],
            key: status['clientKeyData'],
            expiresAt: expiry ? Date.parse(expiry) : null,
          });
        } catch (cause) {
          reject(new Error(`credential plugin ${spec.command} printed no usable ExecCredential`, { cause }));
        }
      },
    );
  });
}
