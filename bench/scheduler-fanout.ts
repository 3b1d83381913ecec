// Fan-out of the scheduler: 1,000 jobs due at the same instant, three `enquete serve --role
// scheduler` processes on one throwaway PostgreSQL database, local runner, command `true`. Reads
// the runs back: each (job, instant) exactly once, and how late each child process started.
// Baseline in the same run: one bare Node process spawning the same 1,000 `true`, 100 at a time.
//   node --import tsx bench/scheduler-fanout.ts [--jobs 1000] [--schedulers 3]
//     [--pg postgres://postgres@127.0.0.1:5432] [--lead 25] [--exact] [--margin 60] [--profile DIR]
// --lead: seconds left for the servers to start before the instant; the instant is the next whole
// minute after that (--exact: that very second instead, for quicker repeated runs).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../src/config/index.ts';
import { createContext } from '../src/context.ts';
import { throwawayDatabase } from './lib/pg.ts';
import { startServer } from './lib/process.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000' },
    schedulers: { type: 'string', default: '3' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
    lead: { type: 'string', default: '25' },
    exact: { type: 'boolean', default: false },
    margin: { type: 'string', default: '60' },
    /** Writes CPU profiles of the scheduler processes into this directory. */
    profile: { type: 'string' },
  },
});
const jobCount = Number(values.jobs);
const schedulerCount = Number(values.schedulers);
const targetMs = 5_000;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadBefore = loadavg();

// --- a throwaway database ------------------------------------------------------------------------
const throwaway = await throwawayDatabase(values.pg, 'enquete_fanout');
const databaseUrl = throwaway.url;

const dir = mkdtempSync(join(tmpdir(), 'enquete-bench-fanout-'));
const servers: Awaited<ReturnType<typeof startServer>>[] = [];
try {
  // --- the jobs, all due at one instant ----------------------------------------------------------
  const earliest = Date.now() + Number(values.lead) * 1000;
  const instant = new Date(
    values.exact ? Math.ceil(earliest / 1000) * 1000 : Math.ceil(earliest / 60_000) * 60_000,
  );
  const cron = `${instant.getUTCSeconds()} ${instant.getUTCMinutes()} ${instant.getUTCHours()} * * *`;
  const names = Array.from({ length: jobCount }, (_, i) => `fan-${String(i + 1).padStart(4, '0')}`);
  const jobsPath = join(dir, 'jobs.yaml');
  writeFileSync(
    jobsPath,
    `defaults: { timezone: UTC }\njobs:\n${names.map((n) => `  - { name: ${n}, cmd: ['true'], schedule: '${cron}' }\n`).join('')}`,
  );
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    ENQUETE_DATA_DIR: dir,
    ENQUETE_JOBS: jobsPath,
    ENQUETE_LOG_LEVEL: 'warn',
    ENQUETE_ADMIN_PASSWORD: 'bench-password-1',
  };
  // Migrations and the admin once, here, rather than raced by the three servers.
  const ctx = await createContext(loadConfig(env, dir));
  await ctx.auth.ensureAdmin('bench-password-1');
  await ctx.db.close();

  // --- three scheduler processes -----------------------------------------------------------------
  const profile = values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : [];
  servers.push(
    ...(await Promise.all(
      Array.from({ length: schedulerCount }, () =>
        startServer([...profile, 'bin/enquete.mjs', 'serve', '--role', 'scheduler', '--port', '0'], env),
      ),
    )),
  );
  const ready = Date.now();
  if (ready > instant.getTime() - 1000) {
    throw new Error(`the servers were ready only ${new Date(ready).toISOString()}; raise --lead`);
  }
  console.log(
    `${schedulerCount} schedulers ready ${((instant.getTime() - ready) / 1000).toFixed(1)} s before ${instant.toISOString()} (cron '${cron}')`,
  );

  // --- wait for every run to end (or the margin) -------------------------------------------------
  const reader = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const deadline = instant.getTime() + Number(values.margin) * 1000;
  await new Promise((r) => setTimeout(r, Math.max(0, instant.getTime() - Date.now())));
  const loadAtInstant = loadavg();
  const cpuAtInstant = cpuSnapshot(servers.map((x) => x.child.pid!));
  for (;;) {
    const { rows } = await reader.query<{ n: number }>(
      `select count(*)::int as n from batch_runs where job like 'fan-%' and status not in ('queued', 'running')`,
    );
    if (rows[0]!.n >= jobCount || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const cpuAtEnd = cpuSnapshot(servers.map((x) => x.child.pid!));
  await Promise.all(servers.splice(0).map((s) => s.stop()));

  // --- what the runs table says ------------------------------------------------------------------
  const perKey = await reader.query<{ job: string; scheduled_for: string; n: number }>(
    `select job, scheduled_for, count(*)::int as n from batch_runs where job like 'fan-%' group by job, scheduled_for`,
  );
  const statuses = await reader.query<{ status: string; n: number }>(
    `select status, count(*)::int as n from batch_runs where job like 'fan-%' group by status order by status`,
  );
  // created_at: the tick's insert; started_at: the claim; the local runner writes its "started
  // process" note as spawn() returns, which libuv does once the child has exec'd: its real start;
  // finished_at: the end of the attempt as recorded (after the exit, before the last log lines).
  const times = await reader.query<{
    created_at: string;
    started_at: string | null;
    spawned_at: string | null;
    finished_at: string | null;
  }>(
    `select r.created_at, r.started_at, r.finished_at,
            (select min(l.at) from batch_run_logs l
              where l.run_id = r.id and l.stream = 'system' and l.text like 'started process %') as spawned_at
       from batch_runs r where r.job like 'fan-%'`,
  );
  await reader.end();

  const expectedKey = instant.toISOString();
  const once =
    perKey.rows.length === jobCount &&
    perKey.rows.every((r) => r.n === 1 && r.scheduled_for === expectedKey) &&
    new Set(perKey.rows.map((r) => r.job)).size === jobCount &&
    names.every((n) => perKey.rows.some((r) => r.job === n));
  const total = perKey.rows.reduce((s, r) => s + r.n, 0);
  const lag = (col: 'created_at' | 'started_at' | 'spawned_at' | 'finished_at') => {
    const v = times.rows.map((r) =>
      r[col] === null ? Number.POSITIVE_INFINITY : Date.parse(r[col]!) - instant.getTime(),
    );
    return v.sort((a, b) => a - b);
  };
  const pct = (sorted: number[], p: number) =>
    sorted.length === 0
      ? Number.NaN
      : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const fmt = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'never');
  const spawned = lag('spawned_at');

  // --- baseline: the bare cost of 1,000 spawns from one Node process ----------------------------
  const base = await bareSpawns(jobCount, 100);

  console.log(
    `\n${jobCount} jobs at ${expectedKey}, ${schedulerCount} schedulers (role scheduler), PostgreSQL, local runner, [true]`,
  );
  console.log(
    `  runs: ${total} in ${perKey.rows.length} (job, instant) keys; ${statuses.rows.map((s) => `${s.status} ${s.n}`).join(', ')}`,
  );
  for (const [label, col] of [
    ['created (tick insert)  ', 'created_at'],
    ['claimed (started_at)   ', 'started_at'],
    ['process started (note) ', 'spawned_at'],
    ['end recorded (finished)', 'finished_at'],
  ] as const) {
    const s = lag(col);
    console.log(
      `  ${label} − instant: p50 ${fmt(pct(s, 50))}  p99 ${fmt(pct(s, 99))}  max ${fmt(s.at(-1) ?? Number.NaN)}`,
    );
  }
  const buckets: number[] = [];
  for (const ms of spawned)
    if (Number.isFinite(ms))
      buckets[Math.max(0, Math.floor(ms / 500))] = (buckets[Math.max(0, Math.floor(ms / 500))] ?? 0) + 1;
  console.log(
    `  process starts per 0.5 s after the instant: ${Array.from(buckets, (n) => n ?? 0).join(' ')}`,
  );
  console.log(`  baseline: one bare Node process spawns ${jobCount} [true], 100 at a time, in ${fmt(base)}`);
  const max = spawned.at(-1) ?? Number.POSITIVE_INFINITY;
  console.log(
    `  max start lag / target ${(max / targetMs).toFixed(2)}  (target: all within 5 s)  ${max <= targetMs ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `  each exactly once: ${once && total === jobCount ? 'PASS' : 'FAIL'}  (${total} runs, ${jobCount} expected)`,
  );
  console.log(
    `  vs baseline: last start ${fmt(max)} after the instant, bare spawns ${fmt(base)}  ratio ${(max / base).toFixed(1)}`,
  );
  console.log(
    `  load (1/5/15 min): before ${loadBefore}, at the instant ${loadAtInstant}, after ${loadavg()}`,
  );
  const cpu = (k: keyof CpuSnapshot) => ((cpuAtEnd[k] - cpuAtInstant[k]) / 100).toFixed(1);
  console.log(
    `  CPU from the instant to the last run's end (${cpu('wall')} s wall, 2 cores): schedulers ${cpu('servers')} s, their children ${cpu('children')} s, PostgreSQL ${cpu('postgres')} s, whole machine ${cpu('machine')} s`,
  );
  process.exitCode = max <= targetMs && once && total === jobCount ? 0 : 1;
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
  await throwaway.drop();
}

interface CpuSnapshot {
  wall: number;
  machine: number;
  servers: number;
  children: number;
  postgres: number;
}

/** CPU time in clock ticks (1/100 s): the machine's busy time, the servers', their reaped children's, PostgreSQL's. */
function cpuSnapshot(pids: number[]): CpuSnapshot {
  const fields = (pid: number | string) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return {
        comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        f: stat.slice(stat.lastIndexOf(')') + 2).split(' '),
      };
    } catch {
      return null; // gone meanwhile
    }
  };
  // After the command: state is field 3, utime 14, stime 15, cutime 16, cstime 17 (1-based).
  const own = (f: string[]) => Number(f[11]) + Number(f[12]);
  let servers = 0;
  let children = 0;
  for (const pid of pids) {
    const s = fields(pid);
    if (!s) continue;
    servers += own(s.f);
    children += Number(s.f[13]) + Number(s.f[14]);
  }
  let postgres = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = fields(entry);
    if (s?.comm === 'postgres') postgres += own(s.f);
  }
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const idle = ticks[3]! + ticks[4]!;
  const machine = ticks.slice(0, 8).reduce((a, b) => a + b, 0) - idle;
  return { wall: performance.now() / 10, machine, servers, children, postgres };
}

/** Milliseconds for `count` spawns of `true`, `parallel` at a time, awaiting each exit. */
async function bareSpawns(count: number, parallel: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await new Promise<void>((resolve, reject) => {
        const child = spawn('true', [], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
        child.once('error', reject);
        child.once('close', () => resolve());
      });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return performance.now() - started;
}
