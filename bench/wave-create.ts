// Wave creation for a 1,000,000-member panel on SQLite: `distribution.createWave({segment: 'all'})`
// timed, against a bare bulk insert of the same invitation rows (same columns, random tokens of the
// same shape, same schema and indexes, same pragmas, 10,000 rows per transaction) into a copy of
// the same database, in the same run. Targets: at least half the baseline's rows/s, under 60 s.
//   node --import tsx bench/wave-create.ts [--members 1000000] [--keep]
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
const baseDir = join(dir, 'baseline');
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
}

try {
  // Prepare: schema, a published survey, the members; then the same file twice.
  let started = performance.now();
  const config = (d: string) => loadConfig({ ENQUETE_DATA_DIR: d, ENQUETE_LOG_LEVEL: 'warn' }, d);
  let ctx = await createContext(config(waveDir));
  const survey = await ctx.surveys.importSurvey({ source: survey50().source, publish: true, actor: 'cli' });
  await ctx.db.close();
  const wavePath = join(waveDir, 'enquete.sqlite');
  const basePath = join(baseDir, 'enquete.sqlite');
  generateMembers(wavePath, members);
  mkdirSync(baseDir, { recursive: true });
  copyFileSync(wavePath, basePath);
  console.log(`prepared ${members} members (generated) in ${seconds(started).toFixed(1)} s; load ${load()}`);

  // Baseline: the bare bulk insert into the copy, walking the members in id order as a wave does.
  let bare: Timed | null = null;
  if (values.only !== 'wave') {
    const ids = memberIds(basePath);
    const raw = openRaw(basePath);
    const at = new Date().toISOString();
    insertWaveRow(raw, { id: 'wv_baseline', surveyId: survey.id, at, invited: members });
    started = performance.now();
    const cpu = process.cpuUsage();
    const rows = bulkInsertInvitations(raw, {
      waveId: 'wv_baseline',
      surveyId: survey.id,
      memberIds: ids,
      at,
    });
    bare = { rows, seconds: seconds(started), cpu: cpuSeconds(cpu) };
    raw.close();
    if (rows !== members) throw new Error(`baseline wrote ${rows} rows, expected ${members}`);
  }

  // createWave, through the context as `enquete serve` wires it.
  let wave: Timed | null = null;
  if (values.only !== 'baseline') {
    ctx = await createContext(config(waveDir));
    started = performance.now();
    const cpu = process.cpuUsage();
    const created = await ctx.distribution.createWave({ surveyId: survey.id, segment: 'all', actor: 'cli' });
    wave = { rows: created.invited, seconds: seconds(started), cpu: cpuSeconds(cpu) };
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

  const rate = (r: Timed) => r.rows / r.seconds;
  const cpuRate = (r: Timed) => r.rows / r.cpu;
  console.log(`wave creation, ${members} members, segment all, SQLite; load ${load()}`);
  if (wave) {
    console.log(
      `  createWave ${Math.round(rate(wave))} rows/s  ${wave.seconds.toFixed(1)} s  ` +
        `(cpu ${wave.cpu.toFixed(1)} s)  invitations + invited events`,
    );
  }
  if (bare) {
    console.log(
      `  baseline   ${Math.round(rate(bare))} rows/s  ${bare.seconds.toFixed(1)} s  ` +
        `(cpu ${bare.cpu.toFixed(1)} s)  bare bulk insert of the invitations`,
    );
  }
  if (wave && bare) {
    const ratio = rate(wave) / rate(bare);
    console.log(
      `  ratio      ${ratio.toFixed(2)}  [targets: >= 0.5 ${ratio >= 0.5 ? 'met' : 'MISSED'}, ` +
        `< 60 s ${wave.seconds < 60 ? 'met' : 'MISSED'}]; per cpu second ${(cpuRate(wave) / cpuRate(bare)).toFixed(2)}`,
    );
  }
} finally {
  if (values.keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
