// The portal API under load: `enquete serve` on SQLite with 1,000,000 members and 10,000,000
// invitations (ten published surveys, one wave of all members each), autocannon against
// `GET /api/v1/portal/members/:externalId/surveys` with a `portal` API key and a random member
// per request, against a bare Fastify 5 route in its own process answering a constant JSON body
// of the same size (a real answer of the portal). Targets: at least half the baseline's req/s,
// p99 under 10 ms.
//   node --import tsx bench/portal.ts [--members 1000000] [--surveys 10] [--connections 10]
//     [--duration 20] [--bulk] [--rebuild] [--profile DIR]
// The database is built once and cached under the OS temp dir, keyed by its size
// (enquete-bench-portal-<members>m-<surveys>s/, with built.json once complete); --rebuild makes it
// again. The members are generated (bench/lib/generated-panel.ts); every wave goes through
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
    duration: { type: 'string', default: '20' },
    bulk: { type: 'boolean', default: false },
    rebuild: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const members = Number(values.members);
const surveys = Number(values.surveys);
const connections = Number(values.connections);
const duration = Number(values.duration);
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
const memberPath = () =>
  `/api/v1/portal/members/m${String(1 + Math.floor(Math.random() * members)).padStart(7, '0')}/surveys`;

async function hammer(url: string) {
  const run = (seconds: number) =>
    autocannon({
      url,
      connections,
      duration: seconds,
      headers,
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: memberPath() }) }],
    });
  await run(5); // warm-up: JIT, statement caches, the pages of the database in the OS cache
  const result = await run(duration);
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return { rps: result['2xx'] / result.duration, latency: result.latency };
}

const serverArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
const enquete = await startServer([...serverArgs, 'bin/enquete.mjs', 'serve', '--port', '0'], {
  ENQUETE_DATA_DIR: dir,
  ENQUETE_LOG_LEVEL: 'warn',
  ENQUETE_ADMIN_PASSWORD: 'bench-password-1',
});
let sample: { surveys: unknown[] };
let ours: Awaited<ReturnType<typeof hammer>>;
try {
  const answer = await fetch(`${enquete.url}/api/v1/portal/members/m0000001/surveys`, { headers });
  sample = (await answer.json()) as { surveys: unknown[] };
  if (answer.status !== 200 || sample.surveys.length !== surveys) {
    throw new Error(`portal answered ${answer.status} with ${JSON.stringify(sample).slice(0, 300)}`);
  }
  ours = await hammer(enquete.url);
} finally {
  await enquete.stop();
}
const loadOurs = load();

const bodyFile = join(dir, 'baseline-body.json');
writeFileSync(bodyFile, JSON.stringify(sample));
const baseline = await startServer(['--import', 'tsx', 'bench/lib/baseline-constant-server.ts'], {
  BASELINE_BODY: bodyFile,
});
let bare: Awaited<ReturnType<typeof hammer>>;
try {
  bare = await hammer(baseline.url);
} finally {
  await baseline.stop();
}

const size = Buffer.byteLength(JSON.stringify(sample));
console.log(
  `portal, ${members} members, ${members * surveys} invitations, SQLite; ${connections} connections, ` +
    `${duration} s after 5 s warm-up; answers of ${surveys} surveys, ${size} bytes`,
);
console.log(
  `  enquete  ${Math.round(ours.rps)} req/s  p50 ${ours.latency.p50} ms  p99 ${ours.latency.p99} ms  (load ${loadOurs})`,
);
console.log(
  `  baseline ${Math.round(bare.rps)} req/s  p50 ${bare.latency.p50} ms  p99 ${bare.latency.p99} ms  ` +
    `(bare Fastify, constant body; load ${load()})`,
);
const ratio = ours.rps / bare.rps;
console.log(
  `  ratio    ${ratio.toFixed(2)}  [targets: >= 0.5 ${ratio >= 0.5 ? 'met' : 'MISSED'}, ` +
    `p99 < 10 ms ${ours.latency.p99 < 10 ? 'met' : 'MISSED'}]`,
);
