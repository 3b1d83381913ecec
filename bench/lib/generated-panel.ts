// Bench fixtures written straight into an enquete SQLite file with better-sqlite3, outside the
// code under test: a generated panel of members, and the bare bulk insert of invitations that the
// wave-creation bench compares against (and the portal bench uses to fill most of its surveys).
import { randomFillSync } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { cryptoIds } from '../../src/kernel/index.ts';

/** Opens an enquete SQLite file with the pragmas `openDatabase` sets. */
export function openRaw(path: string): SQLite.Database {
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * Writes `count` members (`m0000001`…, e-mail, name, a few attributes as JSON) as the panel's
 * import would store them, with random `mb_…` ids (`cryptoIds.id`, so id order is not insertion order;
 * an import writes time-sortable ids since 26a7868 — random ones are the harder case for a walk). The attribute index (`member_attributes`) is not filled: the benches use the
 * segment `all`, which does not read it.
 */
export function generateMembers(path: string, count: number, batch = 20_000): void {
  const db = openRaw(path);
  const insert = db.prepare(
    `insert into members (id, external_id, email, name, attributes, opted_out_at, created_at, updated_at)
     values (?, ?, ?, ?, ?, null, ?, ?)`,
  );
  const regions = ['Hokkaido', 'Tohoku', 'Kanto', 'Chubu', 'Kansai', 'Chugoku', 'Shikoku', 'Kyushu'];
  const now = new Date().toISOString();
  const write = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const externalId = `m${String(i + 1).padStart(7, '0')}`;
      const attributes = JSON.stringify({ age: String(25 + (i % 50)), region: regions[i % regions.length] });
      insert.run(
        cryptoIds.id('mb'),
        externalId,
        `${externalId}@example.org`,
        `Member ${i + 1}`,
        attributes,
        now,
        now,
      );
    }
  });
  for (let i = 0; i < count; i += batch) write(i, Math.min(count, i + batch));
  db.close();
}

/** Every member id in id order (the order a wave walks the segment `all`). */
export function memberIds(path: string): string[] {
  const db = openRaw(path);
  const ids = db.prepare('select id from members order by id').pluck().all() as string[];
  db.close();
  return ids;
}

/**
 * `count` tokens of the invitation token's shape, 18 random bytes in base64url (144 bits), as
 * `cryptoIds.token()` makes them, from one call into the CSPRNG.
 */
export function randomTokens(count: number): string[] {
  const bytes = randomFillSync(Buffer.allocUnsafe(18 * count));
  const tokens: string[] = new Array(count);
  for (let i = 0; i < count; i++) tokens[i] = bytes.toString('base64url', 18 * i, 18 * i + 18);
  return tokens;
}

/**
 * The bare bulk insert: one prepared `insert into invitations … values (…)` per row, `batch` rows
 * per transaction (tokens made in the transaction, one CSPRNG call for the batch), into a database whose wave row exists. No events, no conflict handling, no
 * JSON: the floor of what writing these rows costs. Resolves with the rows written.
 */
export function bulkInsertInvitations(
  db: SQLite.Database,
  props: {
    waveId: string;
    surveyId: string;
    memberIds: string[];
    at: string;
    batch?: number;
    channel?: string;
  },
): number {
  const { waveId, surveyId, memberIds: ids, at } = props;
  const channel = props.channel ?? 'email';
  const batch = props.batch ?? 10_000;
  const insert = db.prepare(
    `insert into invitations (wave_id, survey_id, member_id, token, channel, status, invited_at)
     values (?, ?, ?, ?, ?, 'invited', ?)`,
  );
  const write = db.transaction((from: number, to: number) => {
    const tokens = randomTokens(to - from);
    for (let i = from; i < to; i++) insert.run(waveId, surveyId, ids[i], tokens[i - from], channel, at);
  });
  for (let i = 0; i < ids.length; i += batch) write(i, Math.min(ids.length, i + batch));
  return ids.length;
}

/** A wave row as `createWave` writes it, `ready`, for invitations written by a bulk insert. */
export function insertWaveRow(
  db: SQLite.Database,
  props: { id: string; surveyId: string; at: string; invited: number; channel?: string },
): void {
  db.prepare(
    `insert into waves (id, survey_id, name, segment, channel, start_at, deadline, reminders, subject, body,
       body_format, estimated_minutes, status, invited, dispatch_cursor, dispatched_at, reminders_done,
       reminder_cursor, error, created_at, created_by)
     values (?, ?, null, 'all', ?, ?, null, '[]', 'Survey', 'Please answer', 'text', 5, 'ready', ?, 0, null, 0, 0,
       null, ?, 'bench')`,
  ).run(props.id, props.surveyId, props.channel ?? 'email', props.at, props.invited, props.at);
}
