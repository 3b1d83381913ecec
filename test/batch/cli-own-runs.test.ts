import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db, BatchRunsTable as RunRow } from '../../src/db/index.ts';
import { dialects } from '../helpers/db.ts';
import { type CliWorkspace, cliWorkspace } from './helpers/cli-workspace.ts';

const bin = fileURLToPath(new URL('../../bin/enquete.mjs', import.meta.url));

/** A queued run as a serve would find it: due since an hour ago. */
function queued(id: string, job: string, over: Partial<RunRow> = {}): RunRow {
  const at = new Date(Date.now() - 3_600_000).toISOString();
  return {
    id,
    job,
    date: '20260301',
    trigger: 'api',
    scheduled_for: null,
    status: 'queued',
    attempt: 0,
    max_attempts: 3,
    exit_code: null,
    error: null,
    created_at: at,
    started_at: null,
    finished_at: null,
    next_attempt_at: at,
    heartbeat_at: null,
    ...over,
  };
}

describe.each(dialects())('a CLI command starts only the runs it created, on %s', (dialect) => {
  let dir: string;
  let db: Db;
  let env: NodeJS.ProcessEnv;
  let ws: CliWorkspace;

  beforeEach(async () => {
    // `slow` leaves a mark if it ever starts, and would keep a CLI that waited for it 5 minutes.
    ws = await cliWorkspace(
      dialect,
      'enquete-own-',
      (d) =>
        `[{ name: quick, cmd: 'echo quick $DATE' },
        { name: slow, cmd: 'touch ${d}/slow-ran; exec sleep 300', retryable: true }]`,
    );
    ({ dir, env, db } = ws);
  });
  afterEach(async () => {
    await ws.close();
  });

  function enquete(...args: string[]) {
    const cli = spawn(process.execPath, [bin, 'jobs', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    cli.stdout.on('data', (b: Buffer) => (out += b));
    cli.stderr.on('data', (b: Buffer) => (err += b));
    return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
      cli.once('exit', (code) => resolve({ code, out, err })),
    );
  }

  const others = () =>
    db.kysely
      .selectFrom('batch_runs')
      .select(['id', 'status', 'attempt', 'started_at', 'heartbeat_at'])
      .where('job', '=', 'slow')
      .orderBy('id')
      .execute();

  it('jobs run and jobs backfill leave another job’s queued retry and API run queued, unclaimed', async () => {
    // Ensures the job rows exist, as a serve would have left them.
    expect((await enquete('list')).code).toBe(0);
    await db.kysely
      .insertInto('batch_runs')
      .values([
        queued('run_other_api', 'slow'),
        queued('run_other_retry', 'slow', {
          attempt: 1,
          started_at: new Date(Date.now() - 3_600_000).toISOString(),
          error: 'exit 1',
          exit_code: 1,
        }),
      ])
      .execute();
    const before = await others();

    const run = await enquete('run', 'quick', '--date', '20260301', '--json');
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(run.out)).toMatchObject({ run: { job: 'quick', status: 'succeeded', attempt: 1 } });

    const backfill = await enquete('backfill', 'quick', '--from', '20260302', '--to', '20260303', '--json');
    expect(backfill.code).toBe(0);
    const { runs } = JSON.parse(backfill.out) as { runs: { status: string }[] };
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);

    // Nor does resuming from the CLI start them: that is a serve's work.
    expect((await enquete('resume', '--all')).code).toBe(0);

    expect(await others()).toEqual(before);
    expect(before.map((r) => [r.id, r.status, r.attempt])).toEqual([
      ['run_other_api', 'queued', 0],
      ['run_other_retry', 'queued', 1],
    ]);
    expect(existsSync(join(dir, 'slow-ran'))).toBe(false);
  });
});
