import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Context, createContext } from '../../src/context.ts';
import { dialects } from '../helpers/db.ts';
import { startServe } from '../helpers/serve-process.ts';
import { gentlePgDatabase } from './helpers/batch-db.ts';

const jobsYaml = `
- name: sleeper
  endpoint: /sleeper
  cmd: 'echo going; sleep 60'
`;

describe.each(dialects())('stopping enquete serve on %s', (dialect) => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let ctx: Context;
  let drop: (() => Promise<void>) | undefined;
  let socket: Socket | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enquete-serve-stop-'));
    writeFileSync(join(dir, 'jobs.yaml'), jobsYaml);
    env = {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      ENQUETE_DATA_DIR: join(dir, 'data'),
      ENQUETE_JOBS: join(dir, 'jobs.yaml'),
      ENQUETE_ADMIN_PASSWORD: 'serve-stop-admin-pw',
      ENQUETE_LOG_LEVEL: 'silent',
      ENQUETE_STOP_GRACE: '1',
    };
    if (dialect === 'postgres') {
      const pg = await gentlePgDatabase();
      env['DATABASE_URL'] = pg.url;
      drop = pg.drop;
    }
    ctx = await createContext(loadConfig(env, dir), { log: pino({ level: 'silent' }) });
  });
  afterEach(async () => {
    socket?.destroy();
    await ctx.db.close();
    await drop?.();
    drop = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('records the running attempt interrupted and exits after the grace, even with a request still uploading', async () => {
    const { key } = await ctx.auth.createApiKey({ name: 'ops', role: 'admin', actor: 'test' });
    const server = await startServe(env);
    const started = await fetch(`http://127.0.0.1:${server.port}/batch/sleeper?date=20260301`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    await expect.poll(async () => (await ctx.batch.run(runId)).status, { timeout: 15_000 }).toBe('running');

    // A client that announces 300 KB and sends one byte: the request stays open until cut.
    socket = connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket!.once('connect', () => resolve()));
    socket.write(
      'POST /api/v1/surveys HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        `Authorization: Bearer ${key}\r\nContent-Length: 300000\r\n\r\n{`,
    );
    await new Promise((r) => setTimeout(r, 200));

    server.child.kill('SIGTERM');
    // Without the cut, the process waits for the upload (never, here) and this times out.
    expect(await server.exited).toBe(0);
    const run = await ctx.batch.run(runId);
    expect(run).toMatchObject({ status: 'failed', attempt: 1, error: 'interrupted: the launcher stopped' });
    const logs = (await ctx.batch.logs(runId)).map((l) => l.text);
    expect(logs).toContain('going');
  }, 40_000);
});
