// Latency of starting a run through the original endpoint, POST /batch/<endpoint>?date=, while 50
// runs are going, through `enquete serve` (SQLite, or PostgreSQL with --pg), against a bare
// Fastify route that inserts one row into SQLite, in the same run.
//   node --import tsx bench/batch-endpoint.ts [--requests 5000] [--connections 4] [--rate N]
//     [--pg postgres://user@host:port] [--going 50] [--profile DIR]
// --pg: the server; the bench creates a throwaway database there and drops it after.
// --rate: requests per second over all connections (both phases), instead of as fast as they go.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config/index.ts';
import { createContext } from '../src/context.ts';
import { throwawayDatabase } from './lib/pg.ts';
import { startServer } from './lib/process.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '4' },
    going: { type: 'string', default: '50' },
    pg: { type: 'string' },
    rate: { type: 'string' },
    /** Writes a CPU profile of the enquete process into this directory. */
    profile: { type: 'string' },
  },
});
const requests = Number(values.requests);
const connections = Number(values.connections);
const going = Number(values.going);
const rate = values.rate === undefined ? undefined : Number(values.rate);
const throwaway = values.pg ? await throwawayDatabase(values.pg, 'enquete_bench_endpoint') : undefined;
const dir = mkdtempSync(join(tmpdir(), 'enquete-bench-batch-'));
const jobsPath = join(dir, 'jobs.yaml');
// `long` keeps 50 runs going; `ping` is what the load starts: one `true` at a time, the runs that
// arrive while one is going are skipped (the default overlap), as a busy endpoint's would be.
writeFileSync(
  jobsPath,
  `jobs:
  - { name: long, cmd: 'sleep 600', overlap: allow }
  - { name: ping, endpoint: /bench/ping, cmd: 'true' }
`,
);
const env: Record<string, string> = {
  ENQUETE_DATA_DIR: dir,
  ENQUETE_JOBS: jobsPath,
  ENQUETE_LOG_LEVEL: 'warn',
  ENQUETE_ADMIN_PASSWORD: 'bench-password-1',
  ...(throwaway ? { DATABASE_URL: throwaway.url } : {}),
};

const ctx = await createContext(loadConfig(env, dir));
const { key } = await ctx.auth.createApiKey({ name: 'bench', role: 'admin', client: null, actor: 'cli' });
await ctx.db.close();
const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

async function load(url: string, path: (i: number) => string, headers: Record<string, string>, body: string) {
  let next = 0;
  const run = (amount: number) =>
    autocannon({
      url,
      connections,
      amount,
      ...(rate === undefined ? {} : { overallRate: rate }),
      requests: [
        {
          method: 'POST',
          headers,
          ...(body ? { body } : {}),
          setupRequest: (req) => ({ ...req, path: path(next++) }),
        },
      ],
    });
  await run(1000); // warm-up
  const started = performance.now();
  const result = await run(requests);
  const seconds = (performance.now() - started) / 1000;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: Math.round(result['2xx'] / seconds), latency: result.latency };
}

async function api(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: auth,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, unknown>>;
}

type RunInfo = { id: string; status: string };
const running = async (base: string) =>
  ((await api(base, 'GET', '/api/v1/jobs/long/runs?limit=1000')).runs as RunInfo[]).filter(
    (r) => r.status === 'running',
  );

const profile = values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : [];
const enquete = await startServer([...profile, 'bin/enquete.mjs', 'serve', '--port', '0'], env);
let ours: Awaited<ReturnType<typeof load>>;
try {
  for (let i = 0; i < going; i++) await api(enquete.url, 'POST', '/api/v1/jobs/long/runs', {});
  for (let i = 0; i < 100 && (await running(enquete.url)).length < going; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if ((await running(enquete.url)).length !== going) throw new Error(`${going} runs did not start`);
  // No body, so no content type: the date travels in the query, as in the original system.
  ours = await load(
    enquete.url,
    () => '/batch/bench/ping?date=20260301',
    { authorization: auth.authorization },
    '',
  );
  const still = await running(enquete.url);
  if (still.length !== going) throw new Error(`only ${still.length} of ${going} runs were still going`);
} finally {
  // Cancel the long runs (their process groups are killed), or stopping would wait for them.
  for (const r of await running(enquete.url)) {
    await api(enquete.url, 'POST', `/api/v1/jobs/long/runs/${r.id}/cancel`, {});
  }
  await enquete.stop();
}

const baseline = await startServer(['--import', 'tsx', 'bench/lib/baseline-insert-server.ts'], {
  BASELINE_DIR: dir,
});
const bare = await load(
  baseline.url,
  (i) => `/insert/t${i}`,
  { 'content-type': 'application/json' },
  '{"data":{}}',
);
await baseline.stop();
rmSync(dir, { recursive: true, force: true });
await throwaway?.drop();

const db = values.pg ? 'PostgreSQL' : 'SQLite';
console.log(
  `POST /batch/<endpoint> with ${going} runs going, ${db}, ${connections} connections, ${requests} requests` +
    (rate === undefined ? '' : ` at ${rate}/s`),
);
const line = (name: string, r: typeof ours) =>
  `  ${name} ${r.rps} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  max ${r.latency.max} ms`;
console.log(line('enquete ', ours));
console.log(`${line('baseline', bare)}  (bare Fastify route + one SQLite insert)`);
console.log(
  `  p99 ratio ${(ours.latency.p99 / Math.max(bare.latency.p99, 1)).toFixed(1)}  (target: enquete p99 < 20 ms)`,
);
