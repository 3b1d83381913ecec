import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Context, createContext } from '../../src/context.ts';
import { gentlePgDatabase } from '../batch/helpers/batch-db.ts';
import { runCli as run } from '../helpers/cli.ts';
import { dialects } from '../helpers/db.ts';
import { kanto, panelCsv, panelSurvey, sendQueued } from './fixture.ts';

const hour = 3_600_000;
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe.each(dialects())('enquete wave, outbox and reminders on %s', (dialect) => {
  let dir: string;
  let drop: (() => Promise<void>) | undefined;
  let ctx: Context | undefined;
  const saved = { ...process.env };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enquete-wave-cli-'));
    process.env['ENQUETE_DATA_DIR'] = join(dir, 'data');
    process.env['ENQUETE_PUBLIC_URL'] = 'https://enquete.example';
    delete process.env['ENQUETE_JOBS'];
    delete process.env['SMTP_URL'];
    if (dialect === 'postgres') {
      const pg = await gentlePgDatabase();
      process.env['DATABASE_URL'] = pg.url;
      drop = pg.drop;
    } else {
      delete process.env['DATABASE_URL'];
    }
    writeFileSync(join(dir, 'members.csv'), panelCsv);
    expect((await run('members', 'import', join(dir, 'members.csv'))).code).toBe(0);
  });
  afterEach(async () => {
    await ctx?.db.close();
    ctx = undefined;
    process.env = { ...saved };
    await drop?.();
    drop = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function survey(title: string): Promise<string> {
    const file = join(dir, `${title}.json`);
    writeFileSync(file, JSON.stringify({ ...panelSurvey, title }));
    const res = await run('survey', 'import', file, '--publish');
    expect(res.code).toBe(0);
    return res.out.trim();
  }

  /** The server's side, on the same database: what the distribution loop would do. */
  async function server(): Promise<Context> {
    ctx ??= await createContext(loadConfig(process.env, dir), { log: pino({ level: 'silent' }) });
    return ctx;
  }

  it('creates waves, lists and shows them, and fails with one clear line', async () => {
    const surveyId = await survey('Sleep');
    writeFileSync(join(dir, 'subject.txt'), 'Sleep survey for {{ member.name }}\n');
    writeFileSync(
      join(dir, 'body.txt'),
      'Dear {{ member.name }},\n\n{{ link }}\n\nStop: {{ unsubscribe_url }}\n',
    );
    const created = await run(
      'wave',
      'create',
      '--survey',
      surveyId,
      '--segment',
      "region = 'Kanto'",
      '--reminders',
      '3d,7d',
      '--at',
      '2026-04-01T09:00:00+09:00',
      '--deadline',
      '2026-04-30T23:59:00+09:00',
      '--name',
      'Kanto first',
      '--subject-file',
      join(dir, 'subject.txt'),
      '--body-file',
      join(dir, 'body.txt'),
    );
    expect(created.code).toBe(0);
    expect(created.err).toBe('');
    const match = /^(wv_\w+)\ninvited 5, already invited 0, without e-mail address 0\n$/.exec(created.out);
    expect(match).not.toBeNull();
    const first = match![1]!;

    const portal = await run(
      'wave',
      'create',
      '--survey',
      surveyId,
      '--segment',
      'all',
      '--channel',
      'portal',
      '--json',
    );
    expect(portal.code).toBe(0);
    const second = JSON.parse(portal.out);
    expect(second).toMatchObject({
      invited: 5,
      alreadyInvited: 5,
      // The five not invited before are Kansai's: M04 has no e-mail address.
      withoutEmail: 1,
      wave: { channel: 'portal', createdBy: 'cli' },
    });

    const list = await run('wave', 'list', '--survey', surveyId);
    expect(list.out.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^${second.wave.id} {2}${surveyId} {2}portal {2}ready {2}invited 5 {2}from \\S+Z$`),
      ),
      `${first}  ${surveyId}  email  ready  invited 5  from 2026-04-01T00:00:00.000Z until 2026-04-30T14:59:00.000Z  Kanto first`,
    ]);
    expect(JSON.parse((await run('wave', 'list', '--json')).out).waves).toHaveLength(2);
    expect((await run('wave', 'list', '--survey', 'sv_none')).out).toBe('no waves\n');

    const show = await run('wave', 'show', first);
    expect(show.code).toBe(0);
    expect(show.out).toContain(
      "segment: region = 'Kanto'\nreminders: 3d, 1w (0 done)\nby status:\n  invited      5\n",
    );
    expect(show.out).toContain('  completed    0\n');
    expect(show.out).toContain('  opted out    0');
    expect(JSON.parse((await run('wave', 'show', first, '--json')).out).byStatus.invited).toBe(5);

    const fail = async (args: string[], code: number, err: string) =>
      expect(await run(...args)).toEqual({ code, out: '', err });
    await fail(
      ['wave', 'create', '--survey', surveyId, '--segment', 'age >= '],
      2,
      "enquete: column 8: expected a value after '>=' [SEGMENT_INVALID]\n",
    );
    await fail(
      ['wave', 'create', '--survey', surveyId, '--segment', 'all', '--channel', 'fax'],
      2,
      'enquete: channel: "fax" is not email or portal [WAVE_INVALID]\n',
    );
    const impossible =
      'is not an ISO 8601 instant with a real date, time and zone, such as 2026-04-01T09:00:00+09:00';
    await fail(
      ['wave', 'create', '--survey', surveyId, '--segment', 'all', '--deadline', '2027-02-31T23:59:00+09:00'],
      2,
      `enquete: deadline: "2027-02-31T23:59:00+09:00" ${impossible} [WAVE_INVALID]\n`,
    );
    await fail(
      ['wave', 'create', '--survey', surveyId, '--segment', 'all', '--at', '2026-11-31T00:00:00Z'],
      2,
      `enquete: startAt: "2026-11-31T00:00:00Z" ${impossible} [WAVE_INVALID]\n`,
    );
    writeFileSync(join(dir, 'no-way-out.txt'), 'Dear {{ member.name }},\n\n{{ link }}\n');
    await fail(
      [
        'wave',
        'create',
        '--survey',
        surveyId,
        '--segment',
        'all',
        '--body-file',
        join(dir, 'no-way-out.txt'),
      ],
      2,
      'enquete: body line 1, column 1: the body never outputs {{ unsubscribe_url }}: every message must link to its unsubscribe page [EMAIL_TEMPLATE_INVALID]\n',
    );
    await fail(
      ['wave', 'create', '--survey', 'sv_nope', '--segment', 'all'],
      3,
      'enquete: survey sv_nope does not exist [SURVEY_NOT_FOUND]\n',
    );
    const missing = await run(
      'wave',
      'create',
      '--survey',
      surveyId,
      '--segment',
      'all',
      '--subject-file',
      join(dir, 'nope.txt'),
    );
    expect([missing.code, missing.err]).toEqual([
      2,
      `enquete: cannot read ${join(dir, 'nope.txt')}: ENOENT: no such file or directory, open '${join(dir, 'nope.txt')}' [FILE_UNREADABLE]\n`,
    ]);
    await fail(['wave', 'show', 'wv_nope'], 3, 'enquete: wave wv_nope does not exist [WAVE_NOT_FOUND]\n');
    const noSegment = await run('wave', 'create', '--survey', surveyId);
    expect([noSegment.code, noSegment.err]).toEqual([
      2,
      "enquete: required option '--segment <expr>' not specified\n",
    ]);
    for (const help of [
      ['wave', '--help'],
      ['wave', 'create', '--help'],
      ['outbox', '--help'],
      ['reminders', 'run', '--help'],
    ]) {
      const res = await run(...help);
      expect([help, res.code, res.out]).toEqual([help, 0, expect.stringContaining('Usage: enquete')]);
    }
  });

  it('lists the outbox, and runs the reminders by hand and as the built-in batch job', async () => {
    const surveyId = await survey('Sleep');
    writeFileSync(join(dir, 'subject.txt'), 'Sleep survey for {{ member.name }}');
    const kantoWave = await run(
      'wave',
      'create',
      '--survey',
      surveyId,
      '--segment',
      "region = 'Kanto'",
      '--reminders',
      '1m',
      '--at',
      iso(-2 * hour),
      '--subject-file',
      join(dir, 'subject.txt'),
      '--json',
    );
    const kantoId = JSON.parse(kantoWave.out).wave.id as string;
    expect(await (await server()).distribution.queueDue()).toBe(5);

    const outbox = await run('outbox', '--wave', kantoId);
    expect(outbox.code).toBe(0);
    const lines = outbox.out.trim().split('\n');
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(line).toMatch(
        new RegExp(
          `^\\d+  ${kantoId}  invitation  queued  attempts 0  \\S+Z  m0\\d@example\\.org  Sleep survey for .+$`,
        ),
      );
    }
    expect(lines.map((l) => l.split('  ')[6]).sort()).toEqual(
      kanto.map((k) => `${k.toLowerCase()}@example.org`),
    );
    expect(lines.find((l) => l.includes('m07@'))).toBeUndefined();
    expect(lines.find((l) => l.includes('m01@'))).toMatch(/Sleep survey for Aoki Ken$/);
    expect((await run('outbox', '--status', 'sent')).out).toBe('no messages\n');
    expect(JSON.parse((await run('outbox', '--limit', '2', '--json')).out).messages).toHaveLength(2);
    expect(await run('outbox', '--status', 'lost')).toEqual({
      code: 2,
      out: '',
      err: 'enquete: status is one of queued, sending, sent, failed, cancelled, held [OUTBOX_QUERY_INVALID]\n',
    });

    // The server's loop sends them (an SMTP server that accepts all): reminders go only to members
    // a message reached.
    expect(await sendQueued(await server())).toBe(5);
    // The built-in job runs `node bin/enquete.mjs reminders run` in a process of its own, which
    // must reach this same database.
    const job = await run('jobs', 'run', 'reminders', '--json');
    expect(job.code).toBe(0);
    expect(JSON.parse(job.out).run).toMatchObject({ job: 'reminders', status: 'succeeded', exitCode: 0 });
    const reminded = await (await server()).db.kysely
      .selectFrom('invitations')
      .select(['reminders_sent'])
      .where('wave_id', '=', kantoId)
      .execute();
    expect(reminded.map((r) => Number(r.reminders_sent))).toEqual([1, 1, 1, 1, 1]);
    const logs = await run('jobs', 'logs', JSON.parse(job.out).run.id);
    expect(logs.out).toContain(`stdout ${kantoId}  reminded 5`);
    expect((await run('outbox', '--wave', kantoId)).out.match(/ reminder {2}queued /g)).toHaveLength(5);
    expect((await run('reminders', 'run')).out).toBe('no reminders due\n');

    // By hand: Kansai is M04, M06, M07, M09, M10; M04 has no e-mail address, so 4 reminders.
    const other = await survey('Other');
    const kansaiWave = await run(
      'wave',
      'create',
      '--survey',
      other,
      '--segment',
      "region = 'Kansai'",
      '--reminders',
      '30m',
      '--at',
      iso(-hour),
      '--json',
    );
    const kansaiId = JSON.parse(kansaiWave.out).wave.id as string;
    expect(kansaiWave.out).not.toContain('without e-mail address'); // --json: the field instead
    expect(JSON.parse(kansaiWave.out).withoutEmail).toBe(1);
    expect(await (await server()).distribution.queueDue()).toBe(4);
    // M04's invitation failed at once, and `wave show` says why.
    expect((await run('wave', 'show', kansaiId)).out).toContain('  send_failed  1\n  opened       0\n');
    expect((await run('wave', 'show', kansaiId)).out).toMatch(
      /\nsend failures:\n {7}1 {2}the member has no e-mail address\n$/,
    );
    // Sent now: Kansai's 4 invitations and Kanto's 5 reminders queued above.
    expect(await sendQueued(await server())).toBe(9);
    expect(await run('reminders', 'run')).toEqual({ code: 0, out: `${kansaiId}  reminded 4\n`, err: '' });
    expect(JSON.parse((await run('reminders', 'run', '--json')).out)).toEqual({ reminded: {} });
  });
});
