// The portal API under load: `enquete serve` on SQLite with 1,000,000 members and 10,000,000
// invitations (ten published surveys, one wave of all members each), autocannon against
// `GET /api/v1/portal/members/:externalId/surveys` with a `portal` API key and a random member
// per request, against a bare Fastify 5 route in its own process answering a constant JSON body
// of the same size (a real answer of the portal). Targets: at least half the baseline's req/s,
// p99 under 10 ms. A second baseline, for information, answers with the portal's own statement run
// by better-sqlite3 behind a bare route (bench/lib/baseline-portal-sql-server.ts).
//   node --import tsx bench/portal.ts [--members 1000000] [--surveys 10] [--connections 10]
//     [--duration 10] [--rounds 3] [--bulk] [--rebuild] [--profile DIR (--cpu-prof of both servers)]
//     [--active N] [--cache N]
// --active N: the requests come from N members (a fixed random subset, uniform among them), as a
// site's active members come back to its top page; default every member (uniform over all: the
// worst case for the server's cache). --cache N: ENQUETE_PORTAL_CACHE of the server (members in its
// cache; default 100,000; 0 reads the database on every request). Each round also prints each server
// process's CPU time per request (from /proc), which other work on the machine moves much less
// than req/s: the figure to compare two versions by.
// The database is built once and cached under the OS temp dir, keyed by its size
// (enquete-bench-portal-<members>m-<surveys>s/, with built.json once complete); --rebuild makes it
// again; a cached database is brought to the latest migration in place. The members are generated (bench/lib/generated-panel.ts); every wave goes through
// createWave, or with --bulk only the first and the others by a bulk insert of the same rows and
// events. Waves are on the portal channel, so the server's loop has no messages to queue.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config/index.ts';
import { createContext } from '../src/context.ts';
import {
  bulkInsertInvitations,
  generateMembers,
  insertWaveRow,
  memberIds,
  openRaw,
} from './lib/generated-panel.ts';
import { startServer } from './lib/process.ts';
import { survey50 } from './lib/survey-50.ts';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '1000000' },
    surveys: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    bulk: { type: 'boolean', default: false },
    rebuild: { type: 'boolean', default: false },
    profile: { type: 'string' },
    active: { type: 'string' },
    cache: { type: 'string' },
  },
});
const members = Number(values.members);
const surveys = Number(values.surveys);
const connections = Number(values.connections);
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const dir = join(tmpdir(), `enquete-bench-portal-${members}m-${surveys}s`);
const marker = join(dir, 'built.json');
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const seconds = (from: number) => (performance.now() - from) / 1000;
const config = () => loadConfig({ ENQUETE_DATA_DIR: dir, ENQUETE_LOG_LEVEL: 'warn' }, dir);

async function build(): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let started = performance.now();
  let ctx = await createContext(config());
  const ids: string[] = [];
  for (let s = 1; s <= surveys; s++) {
    const document = JSON.parse(survey50().source) as Record<string, unknown>;
    document['title'] = `Portal survey ${s}`;
    const survey = await ctx.surveys.importSurvey({
      source: JSON.stringify(document),
      publish: true,
      actor: 'cli',
    });
    ids.push(survey.id);
  }
  await ctx.db.close();
  const path = join(dir, 'enquete.sqlite');
  generateMembers(path, members);
  console.log(
    `build: ${members} members (generated), ${surveys} surveys in ${seconds(started).toFixed(1)} s`,
  );

  ctx = await createContext(config());
  const waves: { how: string; seconds: number }[] = [];
  const first = performance.now();
  const order = values.bulk ? memberIds(path) : [];
  for (const [i, surveyId] of ids.entries()) {
    started = performance.now();
    if (i === 0 || !values.bulk) {
      const created = await ctx.distribution.createWave({
        surveyId,
        segment: 'all',
        channel: 'portal',
        actor: 'cli',
      });
      if (created.invited !== members) throw new Error(`wave ${i + 1} invited ${created.invited}`);
      waves.push({ how: 'createWave', seconds: seconds(started) });
    } else {
      const raw = openRaw(path);
      const at = new Date().toISOString();
      const waveId = `wv_bulk${String(i).padStart(7, '0')}`;
      insertWaveRow(raw, { id: waveId, surveyId, at, invited: members, channel: 'portal' });
      bulkInsertInvitations(raw, { waveId, surveyId, memberIds: order, at, channel: 'portal' });
      raw
        .prepare(
          `insert into distribution_events (invitation_id, type, channel, at)
           select id, 'invited', channel, invited_at from invitations where wave_id = ? order by id`,
        )
        .run(waveId);
      raw.close();
      waves.push({ how: 'bulk insert', seconds: seconds(started) });
    }
    console.log(
      `build: wave ${i + 1} (${waves.at(-1)!.how}) in ${waves.at(-1)!.seconds.toFixed(1)} s; load ${load()}`,
    );
  }
  await ctx.db.close();
  const built = {
    members,
    surveys,
    invitations: members * surveys,
    waves,
    seconds: seconds(first),
    at: new Date(),
  };
  writeFileSync(marker, `${JSON.stringify(built, null, 2)}\n`);
}

if (values.rebuild || !existsSync(marker)) await build();
else
  console.log(`using the cached database in ${dir} (built ${JSON.parse(readFileSync(marker, 'utf8')).at})`);

// A portal key, made the way an admin would.
const ctx = await createContext(config());
const { key } = await ctx.auth.createApiKey({ name: 'bench portal', role: 'portal', actor: 'cli' });
await ctx.db.close();
const headers = { authorization: `Bearer ${key}` };
// The members traffic comes from: the first `active` of a shuffle of all of them.
const active = values.active ? Math.min(Number(values.active), members) : members;
const pool = Int32Array.from({ length: members }, (_, i) => i + 1);
for (let i = 0; i < active; i++) {
  const j = i + Math.floor(Math.random() * (members - i));
  [pool[i], pool[j]] = [pool[j]!, pool[i]!];
}
const memberPath = () =>
  `/api/v1/portal/members/m${String(pool[Math.floor(Math.random() * active)]).padStart(7, '0')}/surveys`;

function hammer(url: string, seconds: number) {
  return autocannon({
    url,
    connections,
    duration: seconds,
    headers,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: memberPath() }) }],
  });
}

interface Round {
  rps: number;
  p50: number;
  p99: number;
  load: string;
  /** The server process's CPU time (user + system) per answered request, µs. */
  cpu: number;
}

// CPU time of a process from /proc (Linux), in µs: req/s moves with the machine's other work,
// CPU a request much less.
const ticksPerSecond = 100;
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond;
}

async function measure(url: string, pid: number): Promise<Round> {
  const before = cpuMicros(pid);
  const result = await hammer(url, duration);
  const cpu = cpuMicros(pid) - before;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return {
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    load: load(),
    cpu: cpu / result['2xx'],
  };
}

const serverArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
const enquete = await startServer([...serverArgs, 'bin/enquete.mjs', 'serve', '--port', '0'], {
  ENQUETE_DATA_DIR: dir,
  ENQUETE_LOG_LEVEL: 'warn',
  ENQUETE_ADMIN_PASSWORD: 'bench-password-1',
  ENQUETE_PUBLIC_URL: 'https://survey.example.org',
  ...(values.cache ? { ENQUETE_PORTAL_CACHE: values.cache } : {}),
});
let baseline: Awaited<ReturnType<typeof startServer>> | null = null;
let sqlBaseline: Awaited<ReturnType<typeof startServer>> | null = null;
const ours: Round[] = [];
const bare: Round[] = [];
const bareSql: Round[] = [];
let size = 0;
let rss = 0;
let peak = 0;
try {
  const answer = await fetch(`${enquete.url}/api/v1/portal/members/m0000001/surveys`, { headers });
  const sample = (await answer.json()) as { surveys: unknown[] };
  if (answer.status !== 200 || sample.surveys.length !== surveys) {
    throw new Error(`portal answered ${answer.status} with ${JSON.stringify(sample).slice(0, 300)}`);
  }
  size = Buffer.byteLength(JSON.stringify(sample));
  const bodyFile = join(dir, 'baseline-body.json');
  writeFileSync(bodyFile, JSON.stringify(sample));
  baseline = await startServer([...serverArgs, '--import', 'tsx', 'bench/lib/baseline-constant-server.ts'], {
    BASELINE_BODY: bodyFile,
  });
  // Warm-up: JIT, statement caches, the database's pages in the OS cache. Then the two servers
  // take turns, so that other work on the machine weighs on both alike.
  sqlBaseline = await startServer(
    [...serverArgs, '--import', 'tsx', 'bench/lib/baseline-portal-sql-server.ts'],
    {
      BASELINE_SQLITE: join(dir, 'enquete.sqlite'),
    },
  );
  await hammer(enquete.url, 10);
  await hammer(baseline.url, 5);
  await hammer(sqlBaseline.url, 5);
  for (let r = 0; r < rounds; r++) {
    ours.push(await measure(enquete.url, enquete.child.pid!));
    bare.push(await measure(baseline.url, baseline.child.pid!));
    bareSql.push(await measure(sqlBaseline.url, sqlBaseline.child.pid!));
  }
  const status = readFileSync(`/proc/${enquete.child.pid}/status`, 'utf8');
  rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  peak = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
} finally {
  await enquete.stop();
  await baseline?.stop();
  await sqlBaseline?.stop();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `portal, ${members} members, ${members * surveys} invitations, SQLite; ${connections} connections, ` +
    `${rounds} rounds of ${duration} s each after a warm-up; answers of ${surveys} surveys, ${size} bytes; ` +
    `requests from ${active === members ? 'every member' : `${active} active members`}, uniform; ` +
    `server cache ${values.cache ?? '100000 (default)'} members`,
);
for (let r = 0; r < rounds; r++) {
  const [o, b] = [ours[r]!, bare[r]!];
  console.log(
    `  round ${r + 1}: enquete ${Math.round(o.rps)} req/s p99 ${o.p99} ms ${Math.round(o.cpu)} µs CPU/req (load ${o.load}); ` +
      `baseline ${Math.round(b.rps)} req/s p99 ${b.p99} ms ${Math.round(b.cpu)} µs CPU/req (load ${b.load}); ` +
      `ratio ${(o.rps / b.rps).toFixed(2)}; same SQL bare ${Math.round(bareSql[r]!.rps)} req/s`,
  );
}
const [oursRps, bareRps, oursP99] = [
  median(ours.map((o) => o.rps)),
  median(bare.map((b) => b.rps)),
  median(ours.map((o) => o.p99)),
];
console.log(
  `  enquete  ${Math.round(oursRps)} req/s  p50 ${median(ours.map((o) => o.p50))} ms  p99 ${oursP99} ms  ` +
    `${Math.round(median(ours.map((o) => o.cpu)))} µs CPU/req  (medians)`,
);
console.log(
  `  baseline ${Math.round(bareRps)} req/s  p50 ${median(bare.map((b) => b.p50))} ms  ` +
    `p99 ${median(bare.map((b) => b.p99))} ms  ${Math.round(median(bare.map((b) => b.cpu)))} µs CPU/req  ` +
    '(bare Fastify, constant body)',
);
const sqlRps = median(bareSql.map((b) => b.rps));
console.log(
  `  same SQL ${Math.round(sqlRps)} req/s  p99 ${median(bareSql.map((b) => b.p99))} ms  ` +
    `(bare Fastify + the portal's statement by better-sqlite3; informational: enquete is ${(oursRps / sqlRps).toFixed(2)} of it)`,
);
console.log(`  enquete server RSS ${Math.round(rss)} MB at the end (peak ${Math.round(peak)} MB)`);
const ratio = oursRps / bareRps;
console.log(
  `  ratio    ${ratio.toFixed(2)}  [targets: >= 0.5 ${ratio >= 0.5 ? 'met' : 'MISSED'}, ` +
    `p99 < 10 ms ${oursP99 < 10 ? 'met' : 'MISSED'}]`,
);
