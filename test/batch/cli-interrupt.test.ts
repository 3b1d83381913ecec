import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import { dialects } from '../helpers/db.ts';
import { type CliWorkspace, cliWorkspace } from './helpers/cli-workspace.ts';
import { eventually, eventuallyAsync, groupMembers } from './helpers/processes.ts';

const bin = fileURLToPath(new URL('../../bin/enquete.mjs', import.meta.url));

describe.each(dialects())('a signal to a foreground enquete jobs run, on %s', (dialect) => {
  let dir: string;
  let db: Db;
  let env: NodeJS.ProcessEnv;
  let ws: CliWorkspace;
  const groups: number[] = [];

  beforeEach(async () => {
    // Each day's command writes its group id, then waits; it never ends on its own in the test.
    ws = await cliWorkspace(
      dialect,
      'enquete-interrupt-',
      (d) =>
        `[{ name: hang, cmd: 'echo $$ > ${d}/pgid-$DATE; echo waiting; exec sleep 300', retryable: true }]`,
    );
    ({ dir, env, db } = ws);
  });
  afterEach(async () => {
    for (const g of groups.splice(0)) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {}
    }
    await ws.close();
  });

  /**
   * Starts the CLI in a process group of its own, as a shell starts a foreground command (a
   * terminal's Ctrl-C reaches that whole group), and waits until the first day's command runs.
   */
  async function start(...args: string[]) {
    const cli = spawn(process.execPath, [bin, 'jobs', ...args, '--json'], {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    cli.stdout!.on('data', (b: Buffer) => (out += b));
    cli.stderr!.on('data', (b: Buffer) => (err += b));
    groups.push(cli.pid!);
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      cli.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const group = await eventually(() => {
      try {
        const pgid = Number(readFileSync(join(dir, 'pgid-20260301'), 'utf8'));
        return groupMembers(pgid).some((p) => p.comm === 'sleep') ? pgid : undefined;
      } catch {
        return undefined;
      }
    }, 800);
    groups.push(group);
    // Its first line stored: the run is going, in the database too.
    await eventuallyAsync(async () => {
      const logs = await db.kysely.selectFrom('batch_run_logs').select('text').execute();
      return logs.some((l) => l.text === 'waiting') ? true : undefined;
    });
    return { cli, group, ended, output: () => ({ out, err }) };
  }

  const runs = () =>
    db.kysely
      .selectFrom('batch_runs')
      .select(['id', 'date', 'status', 'attempt', 'error'])
      .orderBy('date')
      .execute();

  async function logOf(id: string): Promise<string[]> {
    const rows = await db.kysely
      .selectFrom('batch_run_logs')
      .select('text')
      .where('run_id', '=', id)
      .orderBy('seq')
      .execute();
    return rows.map((r) => r.text);
  }

  function interrupt(cli: ChildProcess, signal: NodeJS.Signals, wholeGroup: boolean) {
    process.kill(wholeGroup ? -cli.pid! : cli.pid!, signal);
  }

  it('Ctrl-C cancels the run now: recorded cancelled, its command gone, the CLI dies by SIGINT', async () => {
    const { cli, group, ended, output } = await start('run', 'hang', '--date', '20260301');
    interrupt(cli, 'SIGINT', true);
    expect(await ended).toEqual({ code: null, signal: 'SIGINT' });
    expect(groupMembers(group)).toEqual([]);
    const [run] = await runs();
    expect(run).toMatchObject({ status: 'cancelled', attempt: 1, error: 'cancelled' });
    expect((await logOf(run!.id)).slice(-2)).toEqual(['waiting', 'cancelled']);
    const { out, err } = output();
    expect((JSON.parse(out) as { run: { status: string } }).run.status).toBe('cancelled');
    expect(err).toBe(`enquete: cancelling ${run!.id} (press Ctrl-C again to leave now)\n`);
  });

  it('Ctrl-C of a backfill cancels the running day and the queued ones', async () => {
    const { cli, group, ended } = await start('backfill', 'hang', '--from', '20260301', '--to', '20260303');
    interrupt(cli, 'SIGINT', true);
    expect((await ended).signal).toBe('SIGINT');
    expect(groupMembers(group)).toEqual([]);
    expect((await runs()).map((r) => [r.date, r.status, r.attempt])).toEqual([
      ['20260301', 'cancelled', 1],
      ['20260302', 'cancelled', 0],
      ['20260303', 'cancelled', 0],
    ]);
  });

  it('SIGTERM stops the attempt at once and records it interrupted, to be retried by a serve', async () => {
    const { cli, group, ended, output } = await start('run', 'hang', '--date', '20260301');
    interrupt(cli, 'SIGTERM', false);
    expect(await ended).toEqual({ code: null, signal: 'SIGTERM' });
    expect(groupMembers(group)).toEqual([]);
    const [run] = await runs();
    expect(run).toMatchObject({ status: 'queued', attempt: 1, error: 'interrupted: the launcher stopped' });
    expect((JSON.parse(output().out) as { run: { status: string } }).run.status).toBe('queued');
  });
});
