import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/config/index.ts';
import { type Context, createContext } from '../../src/context.ts';
import type { Dialect } from '../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { testDb } from '../helpers/db.ts';
import { startTime, type TestCtx } from './fixture.ts';

/** Answers of the quota survey: gender as code 1 (man) / 2 (woman), age, a rating. */
export const quotaSurvey = {
  title: 'Quota survey',
  pages: [
    {
      name: 'p1',
      elements: [
        { type: 'radiogroup', name: 'gender', isRequired: true, choices: [1, 2] },
        { type: 'text', name: 'age', inputType: 'number', min: 0, max: 120, isRequired: true },
        { type: 'radiogroup', name: 'shift', isRequired: true, choices: [1, 2, 3] },
        { type: 'rating', name: 'sleep', rateMin: 1, rateMax: 5 },
      ],
    },
  ],
};

/**
 * A wired context on a fresh database of the dialect (SQLite on a WAL file, as in production;
 * PostgreSQL through a pool of 20), sequential ids (cells sort in the order they are written),
 * at `startTime`, with the members of `csv` imported (by the `key` column, default external_id).
 */
export async function quotaContext(dialect: Dialect, csv: string | Buffer, key?: string): Promise<TestCtx> {
  const dir = mkdtempSync(join(tmpdir(), 'enquete-quota-'));
  const db = await testDb(dialect, { sqliteFile: join(dir, 'enquete.sqlite') });
  const clock = new TestClock(startTime);
  const config = loadConfig({ ENQUETE_DATA_DIR: dir, ENQUETE_PUBLIC_URL: 'https://enquete.example' }, dir);
  const ctx = await createContext(config, {
    db,
    clock,
    ids: sequentialIds(),
    log: pino({ level: 'silent' }),
  });
  await ctx.panel.importMembers(Readable.from([csv]), key ? { key } : {});
  return {
    ...ctx,
    clock,
    close: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  } as TestCtx;
}

/** Imports and publishes the survey; resolves with its id. */
export async function publish(ctx: Context, definition: object = quotaSurvey): Promise<string> {
  const survey = await ctx.surveys.importSurvey({
    source: JSON.stringify(definition),
    format: 'json',
    publish: true,
    actor: 'test',
  });
  return survey.id;
}

/** Tokens of a wave's invitations by member external id. */
export async function tokensOf(ctx: Context, waveId: string): Promise<Map<string, string>> {
  const rows = await ctx.db.kysely
    .selectFrom('invitations')
    .innerJoin('members', 'members.id', 'invitations.member_id')
    .select(['members.external_id', 'invitations.token'])
    .where('invitations.wave_id', '=', waveId)
    .orderBy('members.external_id')
    .execute();
  return new Map(rows.map((r) => [r.external_id, r.token]));
}

/** How many rows of `values` equal each value. */
export function tally(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
