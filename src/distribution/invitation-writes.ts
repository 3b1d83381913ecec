import { type Kysely, sql } from 'kysely';
import type { Database, Dialect } from '../db/index.ts';
import type { Channel, EventType } from './types.ts';

/** One batch of new invitations of a wave: members paired with their fresh tokens. */
export interface InvitationBatch {
  waveId: string;
  surveyId: string;
  channel: Channel;
  at: string;
  memberIds: string[];
  tokens: string[];
}

/**
 * Inserts a batch of invitations with their `invited` events, skipping members already invited
 * to the survey (by any wave): the unique key (member_id, survey_id) decides, so two waves created
 * at the same time still never invite a member twice. The rows travel as one array parameter
 * (`json_each` on SQLite, `unnest` on PostgreSQL) instead of thousands of bound values.
 * Resolves with how many invitations were written.
 */
export async function insertInvitations(
  trx: Kysely<Database>,
  dialect: Dialect,
  batch: InvitationBatch,
): Promise<number> {
  if (batch.memberIds.length === 0) return 0;
  const { waveId, surveyId, channel, at } = batch;
  const inserted =
    dialect === 'sqlite'
      ? await sql<{ id: number }>`
          insert into invitations (wave_id, survey_id, member_id, token, channel, status, invited_at)
          select ${waveId}, ${surveyId}, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'),
                 ${channel}, 'invited', ${at}
          from json_each(${JSON.stringify(batch.memberIds.map((m, i) => [m, batch.tokens[i]]))}) j
          where true
          on conflict (member_id, survey_id) do nothing
          returning id`.execute(trx)
      : await sql<{ id: number }>`
          insert into invitations (wave_id, survey_id, member_id, token, channel, status, invited_at)
          select ${waveId}, ${surveyId}, x.m, x.t, ${channel}, 'invited', ${at}
          from unnest(${batch.memberIds}::text[], ${batch.tokens}::text[]) as x(m, t)
          on conflict (member_id, survey_id) do nothing
          returning id`.execute(trx);
  const ids = inserted.rows.map((r) => Number(r.id));
  if (ids.length === 0) return 0;
  ids.sort((a, b) => a - b);
  // The events name exactly the rows just returned, in id order. (Reading them back by id range and wave made
  // SQLite walk the wave's (wave_id, status) index from its start on every batch: quadratic.)
  if (dialect === 'sqlite') {
    await sql`
      insert into distribution_events (invitation_id, type, channel, at)
      select j.value, 'invited', ${channel}, ${at} from json_each(${JSON.stringify(ids)}) j`.execute(trx);
  } else {
    await sql`
      insert into distribution_events (invitation_id, type, channel, at)
      select x.id, 'invited', ${channel}, ${at} from unnest(${ids}::bigint[]) as x(id)
      order by x.id`.execute(trx);
  }
  return ids.length;
}

/** One event row to record. */
export interface EventRow {
  invitationId: number;
  type: EventType;
  channel: string | null;
  at: string;
  detail?: Record<string, unknown> | null;
}

/** Records events (in the caller's transaction, beside the status change they describe). */
export async function recordEvents(trx: Kysely<Database>, events: EventRow[]): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    await trx
      .insertInto('distribution_events')
      .values(
        events.slice(i, i + 500).map((e) => ({
          invitation_id: e.invitationId,
          type: e.type,
          channel: e.channel,
          at: e.at,
          detail: e.detail ? JSON.stringify(e.detail) : null,
        })),
      )
      .execute();
  }
}
