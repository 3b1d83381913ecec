// Completion throughput of a 50-question survey with server-side validation, through `enquete
// serve` on SQLite, against a bare Fastify route that only inserts the same JSON row.
//   node --import tsx bench/completion.ts [--requests 20000] [--connections 16]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config/index.ts';
import { createContext } from '../src/context.ts';
import { startServer } from './lib/process.ts';
import { survey50 } from './lib/survey-50.ts';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '20000' }, connections: { type: 'string', default: '16' } },
});
const requests = Number(values.requests);
const connections = Number(values.connections);
const dir = mkdtempSync(join(tmpdir(), 'enquete-bench-'));
const { source, data } = survey50();
const body = JSON.stringify({ data });

// Prepare: a published survey with an open link, and one personal token per completion.
const ctx = await createContext(loadConfig({ ENQUETE_DATA_DIR: dir, ENQUETE_LOG_LEVEL: 'warn' }, dir));
const survey = await ctx.surveys.importSurvey({ source, publish: true, actor: 'cli' });
await ctx.surveys.updateSettings(survey.id, { openLink: true, actor: 'cli' });
const tokens: string[] = [];
for (let i = 0; i < requests + 1000; i++) tokens.push(await ctx.responses.openLink(survey.id, {}));
await ctx.db.close();

async function load(url: string, pathOf: (token: string) => string) {
  let next = 0;
  const run = (amount: number) =>
    autocannon({
      url,
      connections,
      amount,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          setupRequest: (req) => ({ ...req, path: pathOf(tokens[next++]!) }),
        },
      ],
    });
  await run(1000); // warm-up: JIT, caches, compiled validator
  const started = performance.now();
  const result = await run(requests);
  const seconds = (performance.now() - started) / 1000;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: Math.round(result['2xx'] / seconds), latency: result.latency };
}

const enquete = await startServer(['bin/enquete.mjs', 'serve', '--port', '0'], {
  ENQUETE_DATA_DIR: dir,
  ENQUETE_LOG_LEVEL: 'warn',
  ENQUETE_ADMIN_PASSWORD: 'bench-password-1',
});
const ours = await load(enquete.url, (t) => `/api/v1/respond/${t}/complete`);
await enquete.stop();

const baseline = await startServer(['--import', 'tsx', 'bench/lib/baseline-insert-server.ts'], {
  BASELINE_DIR: dir,
});
const bare = await load(baseline.url, (t) => `/insert/${t}`);
await baseline.stop();
rmSync(dir, { recursive: true, force: true });

console.log(`completions, 50 questions, SQLite, ${connections} connections, ${requests} requests each`);
console.log(`  enquete  ${ours.rps} req/s  p50 ${ours.latency.p50} ms  p99 ${ours.latency.p99} ms`);
console.log(
  `  baseline ${bare.rps} req/s  p50 ${bare.latency.p50} ms  p99 ${bare.latency.p99} ms  (bare Fastify + insert)`,
);
console.log(`  ratio    ${(ours.rps / bare.rps).toFixed(2)}  (target: enquete >= 1000 req/s)`);
