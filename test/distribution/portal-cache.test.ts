import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Context, createContext } from '../../src/context.ts';
import { type Db, type Dialect, migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { portalLookup } from '../../src/distribution/portal.ts';
import { TestClock } from '../../src/kernel/index.ts';
import { dialects, throwawayPgUrl } from '../helpers/db.ts';
import {
  completeAnswers,
  distributionContext,
  invitationsByMember,
  panelCsv,
  panelSurvey,
  publishedSurvey,
  startTime,
  type TestCtx,
} from './fixture.ts';

// Each answer also as the route sends it (bytes kept with their span of time): the same text.
const surveysOf = async (ctx: Context, externalId: string) => {
  const surveys = await ctx.distribution.portalSurveys(externalId);
  expect((await ctx.distribution.portalSurveysJson(externalId)).toString()).toBe(JSON.stringify({ surveys }));
  return surveys.map((s) => `${s.title}/${s.status}`);
};

describe.each(dialects())('portal cache in one process on %s', (dialect) => {
  let ctx: TestCtx;
  let survey: string;
  let waveId: string;
  let tokens: Map<string, { token: string }>;

  beforeEach(async () => {
    ctx = await distributionContext(dialect);
    survey = await publishedSurvey(ctx);
    const { wave } = await ctx.distribution.createWave({
      surveyId: survey,
      segment: 'all',
      channel: 'portal',
      actor: 't',
    });
    waveId = wave.id;
    tokens = await invitationsByMember(ctx, waveId);
  });
  afterEach(() => ctx.close());

  it('answers from the cache: a write that bypasses the change feed stays unseen', async () => {
    expect(await surveysOf(ctx, 'M02')).toEqual(['Sleep & work/invited']);
    // The same write the respondent makes, with its feed row removed in its transaction.
    await ctx.db.kysely.transaction().execute(async (trx) => {
      await trx
        .updateTable('invitations')
        .set({ status: 'completed' })
        .where('token', '=', tokens.get('M02')!.token)
        .execute();
      await trx.deleteFrom('portal_changes').execute();
    });
    ctx.clock.tick(5000);
    expect(await surveysOf(ctx, 'M02')).toEqual(['Sleep & work/invited']);
    // M03 was not cached: it is read, and sees the database as it is.
    await ctx.db.kysely.transaction().execute(async (trx) => {
      await trx
        .updateTable('invitations')
        .set({ status: 'completed' })
        .where('token', '=', tokens.get('M03')!.token)
        .execute();
      await trx.deleteFrom('portal_changes').execute();
    });
    expect(await surveysOf(ctx, 'M03')).toEqual([]);
  });

  it("shows this process's answering steps at once: opened, then completed", async () => {
    expect(await surveysOf(ctx, 'M01')).toEqual(['Sleep & work/invited']);
    const token = tokens.get('M01')!.token;
    await ctx.responses.load(token, { channel: 'portal' });
    expect(await surveysOf(ctx, 'M01')).toEqual(['Sleep & work/opened']);
    await ctx.responses.complete(token, { data: completeAnswers });
    expect(await surveysOf(ctx, 'M01')).toEqual([]);
    // Others keep their answer.
    expect(await surveysOf(ctx, 'M02')).toEqual(['Sleep & work/invited']);
  });

  it('an unsubscribed member sees nothing at once; an opt-out written by the panel directly, within the bound', async () => {
    expect(await surveysOf(ctx, 'M05')).toEqual(['Sleep & work/invited']);
    expect(await surveysOf(ctx, 'M06')).toEqual(['Sleep & work/invited']);
    await ctx.distribution.unsubscribe(tokens.get('M05')!.token, 'page');
    expect(await surveysOf(ctx, 'M05')).toEqual([]);
    await ctx.panel.optOut('M06');
    ctx.clock.tick(1001);
    expect(await surveysOf(ctx, 'M06')).toEqual([]);
  });

  it('a survey closed or retitled, or a new wave, changes every answer at once', async () => {
    expect(await surveysOf(ctx, 'M01')).toEqual(['Sleep & work/invited']);
    expect(await surveysOf(ctx, 'M02')).toEqual(['Sleep & work/invited']);
    await ctx.surveys.updateDraft(survey, {
      source: JSON.stringify({ ...panelSurvey, title: 'Sleep & shifts' }),
      format: 'json',
      actor: 't',
    });
    expect(await surveysOf(ctx, 'M01')).toEqual(['Sleep & shifts/invited']);
    const other = await publishedSurvey(ctx, { ...panelSurvey, title: 'Commute' });
    await ctx.distribution.createWave({
      surveyId: other,
      segment: "region = 'Kanto'",
      channel: 'portal',
      actor: 't',
    });
    expect(await surveysOf(ctx, 'M01')).toEqual(['Commute/invited', 'Sleep & shifts/invited']);
    expect(await surveysOf(ctx, 'M04')).toEqual(['Sleep & shifts/invited']);
    await ctx.surveys.updateSettings(survey, { closed: true, actor: 't' });
    expect(await surveysOf(ctx, 'M01')).toEqual(['Commute/invited']);
    expect(await surveysOf(ctx, 'M02')).toEqual(['Commute/invited']);
    expect(await surveysOf(ctx, 'M04')).toEqual([]);
  });

  it("a queued first message's status shows at once (M04 has no address: send_failed)", async () => {
    const emailSurvey = await publishedSurvey(ctx, { ...panelSurvey, title: 'Mail' });
    await ctx.distribution.createWave({
      surveyId: emailSurvey,
      segment: 'all',
      channel: 'email',
      actor: 't',
    });
    expect(await surveysOf(ctx, 'M04')).toEqual(['Mail/invited', 'Sleep & work/invited']);
    await ctx.distribution.queueDue();
    expect(await surveysOf(ctx, 'M04')).toEqual(['Mail/send_failed', 'Sleep & work/invited']);
  });

  it('time is applied at each answer: a deadline passing or a start coming hides or shows a survey with no write', async () => {
    const later = await publishedSurvey(ctx, { ...panelSurvey, title: 'Later' });
    const soon = await publishedSurvey(ctx, { ...panelSurvey, title: 'Soon over' });
    const at = (ms: number) => new Date(Date.parse(startTime) + ms).toISOString();
    await ctx.distribution.createWave({
      surveyId: later,
      segment: 'all',
      channel: 'portal',
      startAt: at(400),
      actor: 't',
    });
    await ctx.distribution.createWave({
      surveyId: soon,
      segment: 'all',
      channel: 'portal',
      deadline: at(600),
      actor: 't',
    });
    expect(await surveysOf(ctx, 'M07')).toEqual(['Soon over/invited', 'Sleep & work/invited']);
    const rows = async () =>
      Number(
        (
          await ctx.db.kysely
            .selectFrom('portal_changes')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const feed = await rows();
    // Within the bound, so no poll is due: the answers change from the cached rows alone.
    ctx.clock.tick(500);
    expect(await surveysOf(ctx, 'M07')).toEqual([
      'Soon over/invited',
      'Later/invited',
      'Sleep & work/invited',
    ]);
    ctx.clock.tick(100);
    expect(await surveysOf(ctx, 'M07')).toEqual(['Later/invited', 'Sleep & work/invited']);
    expect(await rows()).toBe(feed);
  });
});

describe.each(dialects())('portal cache bounds on %s', (dialect) => {
  let ctx: TestCtx;

  beforeEach(async () => {
    ctx = await distributionContext(dialect);
    const survey = await publishedSurvey(ctx);
    await ctx.distribution.createWave({ surveyId: survey, segment: 'all', channel: 'portal', actor: 't' });
  });
  afterEach(() => ctx.close());

  it('answers the same as JSON text, titles escaped, time applied, cached or not', async () => {
    const tricky = await publishedSurvey(ctx, {
      ...panelSurvey,
      title: 'Say "hi" \\ </script> — 睡眠 \u2028 done',
    });
    const start = new Date(ctx.clock.now().getTime() + 60_000).toISOString();
    const deadline = new Date(ctx.clock.now().getTime() + 120_000).toISOString();
    await ctx.distribution.createWave({
      surveyId: tricky,
      segment: 'all',
      channel: 'portal',
      startAt: start,
      deadline,
      actor: 't',
    });
    const lookups = [0, 100].map((maxMembers) =>
      portalLookup({ db: ctx.db, clock: ctx.clock, publicUrl: 'https://p.example', options: { maxMembers } }),
    );
    const titles: string[][] = [];
    for (const step of [0, 60_000, 0, 60_000]) {
      ctx.clock.tick(step);
      for (const lookup of lookups) {
        for (const id of ['M01', 'M02', 'nobody']) {
          const text = (await lookup.json(id)).toString();
          expect(text).toBe(JSON.stringify({ surveys: await lookup(id) }));
        }
      }
      titles.push(
        JSON.parse((await lookups[1]!.json('M01')).toString()).surveys.map((s: { title: string }) => s.title),
      );
    }
    // Before the tricky wave starts, while it runs (twice: the second from the cache), after it.
    expect(titles).toEqual([
      ['Sleep & work'],
      ['Say "hi" \\ </script> — 睡眠 \u2028 done', 'Sleep & work'],
      ['Say "hi" \\ </script> — 睡眠 \u2028 done', 'Sleep & work'],
      ['Sleep & work'],
    ]);
  });

  it("keeps a member's answer for the span between the starts and deadlines around now, not past them", async () => {
    const later = await publishedSurvey(ctx, { ...panelSurvey, title: 'Later' });
    const start = new Date(ctx.clock.now().getTime() + 60_000).toISOString();
    const deadline = new Date(ctx.clock.now().getTime() + 120_000).toISOString();
    await ctx.distribution.createWave({
      surveyId: later,
      segment: "region = 'Kanto'",
      channel: 'portal',
      startAt: start,
      deadline,
      actor: 't',
    });
    const lookup = portalLookup({
      db: ctx.db,
      clock: ctx.clock,
      publicUrl: 'https://p.example',
      options: { maxMembers: 100 },
    });
    const titles = async (id: string) => {
      const bytes = await lookup.json(id);
      const surveys = await lookup(id);
      expect(bytes.toString()).toBe(JSON.stringify({ surveys }));
      return { bytes, titles: surveys.map((s) => s.title) };
    };
    const before = await titles('M01');
    expect(before.titles).toEqual(['Sleep & work']);
    // A member in the cache, the feed fresh: answered at once, no promise.
    expect(lookup.json('M01')).toBe(before.bytes);
    // Another member's answer is their own (their own link), never the same bytes.
    const other = await titles('M04');
    expect(other.bytes).not.toBe(before.bytes);
    expect(other.bytes.toString()).not.toBe(before.bytes.toString());
    ctx.clock.tick(59_999);
    expect((await titles('M01')).bytes).toBe(before.bytes);
    ctx.clock.tick(1);
    const running = await titles('M01');
    expect(running.titles).toEqual(['Later', 'Sleep & work']);
    ctx.clock.tick(59_999);
    expect((await titles('M01')).bytes).toBe(running.bytes);
    // M04 is not in Kanto: no edge of the later wave in its rows, one answer all along.
    expect((await titles('M04')).bytes).toBe(other.bytes);
    // A clock set back (a test clock) gets the answer of its own instant.
    ctx.clock.tick(-60_000);
    expect((await titles('M01')).titles).toEqual(['Sleep & work']);
    ctx.clock.tick(60_001);
    expect((await titles('M01')).titles).toEqual(['Sleep & work']);
  });

  it('holds at most maxMembers members, unknown ids included, and answers each right', async () => {
    const lookup = portalLookup({
      db: ctx.db,
      clock: ctx.clock,
      publicUrl: 'https://p.example',
      options: { maxMembers: 3 },
    });
    const ids = ['M01', 'M02', 'X1', 'M03', 'X2', 'X3', 'M04', 'M01'];
    for (const id of ids) {
      const open = await lookup(id);
      expect(open.length).toBe(id.startsWith('M') ? 1 : 0);
      expect(lookup.cached).toBeLessThanOrEqual(3);
    }
    expect(lookup.cached).toBe(3);
    const off = portalLookup({
      db: ctx.db,
      clock: ctx.clock,
      publicUrl: 'https://p.example',
      options: { maxMembers: 0 },
    });
    expect((await off('M01')).map((s) => s.link)).toEqual((await lookup('M01')).map((s) => s.link));
    expect(off.cached).toBe(0);
  });

  it('prunes feed rows older than the retention', async () => {
    const lookup = portalLookup({
      db: ctx.db,
      clock: ctx.clock,
      publicUrl: 'https://p.example',
      options: { times: { retentionMs: 10_000 } },
    });
    const members = async () =>
      (await ctx.db.kysely.selectFrom('portal_changes').select('member').orderBy('seq').execute()).map(
        (r) => r.member,
      );
    const tickAndRead = async (ms: number) => {
      ctx.clock.tick(ms);
      await lookup('M01');
    };
    // Each process keeps a mark (its position, and when); once the mark is a retention old, the
    // rows up to it go, and the mark moves to where it is now.
    await lookup('M01');
    expect((await members()).length).toBeGreaterThan(0);
    await ctx.panel.optOut('M09');
    await tickAndRead(4000);
    await tickAndRead(4000);
    await tickAndRead(2000);
    expect(await members()).toEqual(['M09']);
    await ctx.panel.optOut('M10');
    await tickAndRead(4000);
    await tickAndRead(4000);
    expect(await members()).toEqual(['M09', 'M10']);
    await tickAndRead(2000);
    expect(await members()).toEqual(['M10']);
  });
});

/** Two wired contexts on one database (one SQLite file, one PostgreSQL database), one clock. */
async function twoContexts(dialect: Dialect) {
  const clock = new TestClock(startTime);
  let url: string | undefined;
  let drop = async () => {};
  let file: string | undefined;
  if (dialect === 'postgres') {
    const made = await throwawayPgUrl();
    url = made.url;
    drop = made.drop;
  } else {
    file = join(mkdtempSync(join(tmpdir(), 'enquete-portal-')), 'enquete.sqlite');
  }
  const open = async (): Promise<Db> => {
    const db = url ? openDatabase({ databaseUrl: url, poolSize: 5 }) : openDatabase({ sqlitePath: file! });
    await migrateToLatest(db);
    return db;
  };
  const contexts: Context[] = [];
  for (let i = 0; i < 2; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'enquete-test-'));
    const config = loadConfig({ ENQUETE_DATA_DIR: dir, ENQUETE_PUBLIC_URL: 'https://enquete.example' }, dir);
    contexts.push(await createContext(config, { db: await open(), clock, log: pino({ level: 'silent' }) }));
  }
  const [a, b] = contexts as [Context, Context];
  return {
    a,
    b,
    clock,
    url,
    close: async () => {
      await a.db.close();
      await b.db.close();
      await drop();
    },
  };
}

describe.each(dialects())('portal cache across processes on %s', (dialect) => {
  let two: Awaited<ReturnType<typeof twoContexts>>;
  let tokens: Map<string, { token: string }>;
  let survey: string;

  beforeEach(async () => {
    two = await twoContexts(dialect);
    await two.a.panel.importMembers(Readable.from([panelCsv]));
    survey = await publishedSurvey(two.a);
    const { wave } = await two.a.distribution.createWave({
      surveyId: survey,
      segment: 'all',
      channel: 'portal',
      actor: 't',
    });
    tokens = await invitationsByMember(two.a, wave.id);
  });
  afterEach(() => two.close());

  it("another process's writes show within the bound, never later", async () => {
    const { a, b, clock } = two;
    for (const id of ['M01', 'M02', 'M03']) expect(await surveysOf(b, id)).toEqual(['Sleep & work/invited']);
    await a.responses.load(tokens.get('M01')!.token, {});
    await a.responses.complete(tokens.get('M01')!.token, { data: completeAnswers });
    await a.distribution.unsubscribe(tokens.get('M02')!.token, 'one-click');
    expect(await surveysOf(a, 'M01')).toEqual([]);
    clock.tick(1001);
    expect(await surveysOf(b, 'M01')).toEqual([]);
    expect(await surveysOf(b, 'M02')).toEqual([]);
    expect(await surveysOf(b, 'M03')).toEqual(['Sleep & work/invited']);
    await a.surveys.updateSettings(survey, { closed: true, actor: 't' });
    clock.tick(1001);
    expect(await surveysOf(b, 'M03')).toEqual([]);
  });

  it.runIf(dialect === 'postgres')(
    'a transaction that took its feed row first but commits last is still seen',
    async () => {
      const { a, b, clock } = two;
      expect(await surveysOf(b, 'M04')).toEqual(['Sleep & work/invited']);
      expect(await surveysOf(b, 'M05')).toEqual(['Sleep & work/invited']);
      const slow = new pg.Client({ connectionString: two.url });
      await slow.connect();
      try {
        await slow.query('begin');
        await slow.query("update invitations set status = 'completed' where token = $1", [
          tokens.get('M04')!.token,
        ]);
        // A later row commits first; the reader moves past both sequence numbers.
        await a.panel.optOut('M05');
        clock.tick(1001);
        expect(await surveysOf(b, 'M05')).toEqual([]);
        expect(await surveysOf(b, 'M04')).toEqual(['Sleep & work/invited']);
        await slow.query('commit');
      } finally {
        await slow.end();
      }
      clock.tick(1001);
      expect(await surveysOf(b, 'M04')).toEqual([]);
    },
  );
});
