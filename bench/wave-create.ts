// Wave creation for a 1,000,000-member panel on SQLite: `distribution.createWave({segment: 'all'})`
// timed, against a bare bulk insert of the same invitation rows (same columns, random tokens of the
// same shape, same schema and indexes, same pragmas, 10,000 rows per transaction) into a copy of
// the same database, in the same run (before and after the wave; their mean is the baseline).
// Targets: at least half the baseline's rows/s, under 60 s.
//   node --import tsx bench/wave-create.ts [--members 1000000] [--keep] [--only wave|baseline]
// The members are generated straight into the file (bench/lib/generated-panel.ts), not imported
// through the panel: the import has its own bench (bench/member-import.ts).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/index.ts';
import { createContext } from '../src/context.ts';
import {
  bulkInsertInvitations,
  generateMembers,
  insertWaveRow,
  memberIds,
  openRaw,
} from './lib/generated-panel.ts';
import { survey50 } from './lib/survey-50.ts';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
    // For profiling one side: `--only wave` or `--only baseline` (no ratio then).
    only: { type: 'string' },
  },
});
const members = Number(values.members);
const dir = mkdtempSync(join(tmpdir(), 'enquete-bench-wave-'));
const waveDir = join(dir, 'wave');
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const seconds = (from: number) => (performance.now() - from) / 1000;
/** CPU seconds (user + system) of this process since `from`: robust to other work on the cores. */
const cpuSeconds = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
};

interface Timed {
  rows: number;
  seconds: number;
  cpu: number;
  load: string;
}

try {
  // Prepare: schema, a published survey, the members; then copies of that file for the baseline.
  let started = performance.now();
  const config = (d: string) => loadConfig({ ENQUETE_DATA_DIR: d, ENQUETE_LOG_LEVEL: 'warn' }, d);
  let ctx = await createContext(config(waveDir));
  const survey = await ctx.surveys.importSurvey({ source: survey50().source, publish: true, actor: 'cli' });
  await ctx.db.close();
  const wavePath = join(waveDir, 'enquete.sqlite');
  generateMembers(wavePath, members);
  const basePaths = ['before', 'after'].map((name) => {
    mkdirSync(join(dir, name), { recursive: true });
    const path = join(dir, name, 'enquete.sqlite');
    copyFileSync(wavePath, path);
    return path;
  });
  const ids = memberIds(wavePath);
  console.log(`prepared ${members} members (generated) in ${seconds(started).toFixed(1)} s; load ${load()}`);

  // Baseline: the bare bulk insert into a copy, walking the members in id order as a wave does.
  const baseline = (path: string): Timed => {
    const raw = openRaw(path);
    const at = new Date().toISOString();
    insertWaveRow(raw, { id: 'wv_baseline', surveyId: survey.id, at, invited: members });
    const begun = performance.now();
    const cpu = process.cpuUsage();
    const rows = bulkInsertInvitations(raw, {
      waveId: 'wv_baseline',
      surveyId: survey.id,
      memberIds: ids,
      at,
    });
    const timed = { rows, seconds: seconds(begun), cpu: cpuSeconds(cpu), load: load() };
    raw.close();
    if (rows !== members) throw new Error(`baseline wrote ${rows} rows, expected ${members}`);
    return timed;
  };

  // The baseline runs before and after createWave, and counts as the mean of the two, so that
  // other work on the machine weighs on both sides alike.
  const bare: Timed[] = [];
  if (values.only !== 'wave') bare.push(baseline(basePaths[0]!));

  // createWave, through the context as `enquete serve` wires it.
  let wave: Timed | null = null;
  if (values.only !== 'baseline') {
    ctx = await createContext(config(waveDir));
    started = performance.now();
    const cpu = process.cpuUsage();
    const created = await ctx.distribution.createWave({ surveyId: survey.id, segment: 'all', actor: 'cli' });
    wave = { rows: created.invited, seconds: seconds(started), cpu: cpuSeconds(cpu), load: load() };
    const k = ctx.db.kysely;
    const count = async (table: 'invitations' | 'distribution_events') =>
      Number(
        (
          await k
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const [invitations, events] = [await count('invitations'), await count('distribution_events')];
    await ctx.db.close();
    if (created.invited !== members || invitations !== members || events !== members) {
      throw new Error(
        `expected ${members}: invited ${created.invited}, rows ${invitations}, events ${events}`,
      );
    }
  }
  if (values.only !== 'wave') bare.push(baseline(basePaths[1]!));

  const rate = (r: Timed) => r.rows / r.seconds;
  const cpuRate = (r: Timed) => r.rows / r.cpu;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`wave creation, ${members} members, segment all, SQLite`);
  if (wave) {
    console.log(
      `  createWave ${Math.round(rate(wave))} rows/s  ${wave.seconds.toFixed(1)} s  (cpu ${wave.cpu.toFixed(1)} s; ` +
        `load ${wave.load})  invitations + invited events`,
    );
  }
  for (const [i, b] of bare.entries()) {
    console.log(
      `  baseline ${i === 0 ? 'before' : 'after '} ${Math.round(rate(b))} rows/s  ${b.seconds.toFixed(1)} s  ` +
        `(cpu ${b.cpu.toFixed(1)} s; load ${b.load})  bare bulk insert of the invitations`,
    );
  }
  if (wave && bare.length > 0) {
    const ratio = rate(wave) / mean(bare.map(rate));
    const cpuRatio = cpuRate(wave) / mean(bare.map(cpuRate));
    console.log(
      `  ratio      ${ratio.toFixed(2)} of the baselines' mean  [targets: >= 0.5 ${ratio >= 0.5 ? 'met' : 'MISSED'}, ` +
        `< 60 s ${wave.seconds < 60 ? 'met' : 'MISSED'}]; per cpu second ${cpuRatio.toFixed(2)}`,
    );
  }
} finally {
  if (values.keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
