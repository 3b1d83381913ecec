// Member import of a generated 1,000,000-row CSV into SQLite: elapsed time and peak memory against
// the issue's targets (under 60 s, under 500 MB), then a re-import of the same file (nothing
// changes) and a segment count and walk over the result. With --pg, into a throwaway database of
// that PostgreSQL server instead (the targets are the embedded default's; the RSS is this process').
//   node --import tsx bench/member-import.ts [--rows 1000000] [--pg postgres://postgres@127.0.0.1:5432]
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrateToLatest, openDatabase } from '../src/db/index.ts';
import { cryptoIds, systemClock } from '../src/kernel/index.ts';
import { createPanelService } from '../src/panel/index.ts';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, pg: { type: 'string' } },
});
const rows = Number(values.rows);
const dir = mkdtempSync(join(tmpdir(), 'enquete-bench-members-'));
const file = join(dir, 'members.csv');

const specialties = [
  'cardiology',
  'oncology',
  'neurology',
  'pediatrics',
  'surgery',
  'psychiatry',
  'dermatology',
];
const regions = ['Hokkaido', 'Tohoku', 'Kanto', 'Chubu', 'Kansai', 'Chugoku', 'Shikoku', 'Kyushu'];
const interests = ['research', 'teaching', 'clinical trials', 'AI', 'policy', 'ethics'];

/** A deterministic generator (mulberry32), so every run imports the same file. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function generate(): Promise<void> {
  const next = random(42);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!;
  const out = createWriteStream(file);
  out.write('external_id,email,name,specialty,age,region,interests\n');
  let buffer = '';
  for (let i = 1; i <= rows; i++) {
    const list = new Set([pick(interests), pick(interests)]);
    buffer += `m${String(i).padStart(7, '0')},m${i}@example.org,"Member ${i}, MD",${pick(specialties)},${25 + Math.floor(next() * 50)},${pick(regions)},${[...list].join('|')}\n`;
    if (i % 10_000 === 0) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

/** A fresh database on the server of `--pg`, and how to drop it. */
async function throwawayPg(server: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `enquete_bench_members_${process.pid}`;
  const admin = new URL(server);
  admin.pathname = '/postgres';
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await run(`create database ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}

const mb = (kb: number) => Math.round(kb / 1024);
const pgDb = values.pg ? await throwawayPg(values.pg) : null;
try {
  let started = performance.now();
  await generate();
  console.log(
    `generated ${rows} rows, ${mb(statSync(file).size / 1024)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  const db = openDatabase({ dataDir: dir, databaseUrl: pgDb?.url });
  console.log(`database: ${pgDb ? 'PostgreSQL' : 'SQLite'}`);
  await migrateToLatest(db);
  const panel = createPanelService({ db, clock: systemClock, ids: cryptoIds });
  started = performance.now();
  const result = await panel.importMembers(createReadStream(file));
  const seconds = (performance.now() - started) / 1000;
  const peak = mb(process.resourceUsage().maxRSS);
  console.log(
    `import: inserted ${result.inserted}, rejected ${result.rejected.length} in ${seconds.toFixed(1)} s ` +
      `(${Math.round(rows / seconds)} rows/s), peak RSS ${peak} MB ` +
      `[targets: < 60 s ${seconds < 60 ? 'met' : 'MISSED'}, < 500 MB ${peak < 500 ? 'met' : 'MISSED'}]`,
  );
  console.log(`types: ${result.attributes.map((a) => `${a.key} ${a.type}`).join(', ')}`);

  started = performance.now();
  const again = await panel.importMembers(createReadStream(file));
  console.log(
    `re-import: unchanged ${again.unchanged}, updated ${again.updated}, inserted ${again.inserted} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  const segment = "specialty in ('cardiology', 'oncology') and age >= 40 and region = 'Kanto'";
  started = performance.now();
  const count = await panel.countSegment(segment);
  console.log(`count ${count} in ${Math.round(performance.now() - started)} ms: ${segment}`);
  started = performance.now();
  let walked = 0;
  for await (const page of panel.segmentMemberIds("interests contains 'AI' or age < 30"))
    walked += page.length;
  console.log(
    `walked ${walked} ids of a wide segment in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  console.log(`peak RSS of the whole run ${mb(process.resourceUsage().maxRSS)} MB`);
  await db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
  await pgDb?.drop();
}
