import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Context, createContext } from '../../src/context.ts';
import { gentlePgDatabase } from '../batch/helpers/batch-db.ts';
import { dialects } from '../helpers/db.ts';
import { startServe } from '../helpers/serve-process.ts';
import { type SmtpSink, startSmtpSink } from './email/smtp-sink.ts';
import { kanto, panelCsv, panelSurvey } from './fixture.ts';

describe.each(dialects())('enquete serve wires the distribution loop on %s', (dialect) => {
  let dir: string;
  let sink: SmtpSink;
  let ctx: Context;
  let env: NodeJS.ProcessEnv;
  let drop: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enquete-serve-'));
    sink = await startSmtpSink();
    env = {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      ENQUETE_DATA_DIR: join(dir, 'data'),
      ENQUETE_PUBLIC_URL: 'https://enquete.example',
      ENQUETE_ADMIN_PASSWORD: 'serve-test-admin-pw',
      ENQUETE_LOG_LEVEL: 'silent',
      SMTP_URL: sink.url,
      ENQUETE_MAIL_FROM: 'panel@enquete.example',
    };
    if (dialect === 'postgres') {
      const pg = await gentlePgDatabase();
      env['DATABASE_URL'] = pg.url;
      drop = pg.drop;
    }
    ctx = await createContext(loadConfig(env, dir), { log: pino({ level: 'silent' }) });
    await ctx.panel.importMembers(Readable.from([panelCsv]));
    const survey = await ctx.surveys.importSurvey({
      source: JSON.stringify(panelSurvey),
      format: 'json',
      publish: true,
      actor: 'test',
    });
    await ctx.distribution.createWave({ surveyId: survey.id, segment: "region = 'Kanto'", actor: 'test' });
  });
  afterEach(async () => {
    await ctx.db.close();
    await sink.close();
    await drop?.();
    drop = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('role web leaves the outbox alone; role all sends it, and stops cleanly on SIGTERM', async () => {
    const web = await startServe(env, ['--role', 'web']);
    // The loop's first pass would run at once; give it time to show that it does not.
    await new Promise((r) => setTimeout(r, 2000));
    expect(sink.messages).toHaveLength(0);
    expect(await ctx.distribution.outboxCounts()).toMatchObject({ queued: 0, sent: 0 });
    web.child.kill('SIGTERM');
    expect(await web.exited).toBe(0);

    const all = await startServe(env, ['--role', 'all']);
    await sink.waitFor(5);
    expect(sink.messages.map((m) => m.to.join()).sort()).toEqual(
      kanto.map((k) => `${k.toLowerCase()}@example.org`),
    );
    all.child.kill('SIGTERM');
    expect(await all.exited).toBe(0);
    expect(await ctx.distribution.outboxCounts()).toMatchObject({ queued: 0, sending: 0, sent: 5 });
  });
});
