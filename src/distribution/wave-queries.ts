import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, Dialect, WavesTable } from '../db/index.ts';
import { distributionErrors } from './errors.ts';
import { formatOffset } from './schedule.ts';
import type { InvitationStatus, StatusCounts, Wave, WaveProgress } from './types.ts';

export type WaveRow = Selectable<WavesTable>;

/** Reminder offsets as stored (JSON milliseconds). */
export function reminderOffsets(row: Pick<WaveRow, 'reminders'>): number[] {
  return JSON.parse(row.reminders) as number[];
}

export function toWave(row: WaveRow): Wave {
  return {
    id: row.id,
    surveyId: row.survey_id,
    name: row.name,
    segment: row.segment,
    channel: row.channel,
    startAt: row.start_at,
    deadline: row.deadline,
    reminders: reminderOffsets(row).map(formatOffset),
    remindersDone: Number(row.reminders_done),
    subject: row.subject,
    body: row.body,
    format: row.body_format,
    estimatedMinutes: row.estimated_minutes === null ? null : Number(row.estimated_minutes),
    status: row.status,
    invited: Number(row.invited),
    error: row.error,
    createdAt: row.created_at,
    createdBy: row.created_by,
    externalUrl: row.external_url,
  };
}

export async function waveRow(db: Kysely<Database>, id: string): Promise<WaveRow> {
  const row = await db.selectFrom('waves').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw distributionErrors.waveNotFound(id);
  return row;
}

/** Waves newest first, optionally of one survey or of the surveys a filter allows. */
export async function listWaves(
  db: Kysely<Database>,
  filter: { surveyId?: string; surveyIds?: string[] } = {},
): Promise<Wave[]> {
  let q = db.selectFrom('waves').selectAll();
  if (filter.surveyId !== undefined) q = q.where('survey_id', '=', filter.surveyId);
  if (filter.surveyIds !== undefined) {
    if (filter.surveyIds.length === 0) return [];
    q = q.where('survey_id', 'in', filter.surveyIds);
  }
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map(toWave);
}

export function emptyStatusCounts(): StatusCounts {
  return {
    invited: 0,
    sent: 0,
    send_failed: 0,
    opened: 0,
    started: 0,
    completed: 0,
    screened_out: 0,
    quota_full: 0,
  };
}

/**
 * A wave's progress: invitations by status, entry channel, opt-outs, first messages held for
 * quota and milestones per day.
 */
export async function waveProgress(
  db: Kysely<Database>,
  dialect: Dialect,
  id: string,
): Promise<WaveProgress> {
  const wave = toWave(await waveRow(db, id));
  const byStatus = emptyStatusCounts();
  const statusRows = await db
    .selectFrom('invitations')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('wave_id', '=', id)
    .groupBy('status')
    .execute();
  for (const r of statusRows) byStatus[r.status as InvitationStatus] = Number(r.n);

  const channelRows = await db
    .selectFrom('invitations')
    .select([
      'opened_channel',
      (eb) => eb.fn.countAll<number>().as('opened'),
      sql<number>`sum(case when status in ('started', 'completed', 'screened_out', 'quota_full') then 1 else 0 end)`.as(
        'started',
      ),
      sql<number>`sum(case when status = 'completed' then 1 else 0 end)`.as('completed'),
    ])
    .where('wave_id', '=', id)
    .where('opened_channel', 'is not', null)
    .groupBy('opened_channel')
    .orderBy('opened_channel')
    .execute();

  const optedOut = await db
    .selectFrom('invitations')
    .innerJoin('members', 'members.id', 'invitations.member_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('invitations.wave_id', '=', id)
    .where('members.opted_out_at', 'is not', null)
    .executeTakeFirstOrThrow();

  const held = await db
    .selectFrom('distribution_outbox')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('wave_id', '=', id)
    .where('status', '=', 'held')
    .executeTakeFirstOrThrow();

  // The reason is the detail's `error` (sender.ts, outbox-writes.ts), text JSON on both dialects.
  const reason =
    dialect === 'sqlite'
      ? sql<string | null>`json_extract(e.detail, '$.error')`
      : sql<string | null>`(e.detail::jsonb ->> 'error')`;
  const failureRows = await sql<{ reason: string | null; n: number | string }>`
    select ${reason} as reason, count(*) as n
    from distribution_events e join invitations i on i.id = e.invitation_id
    where i.wave_id = ${id} and e.type = 'send_failed'
    group by ${reason}`.execute(db);
  const failures = failureRows.rows
    .map((r) => ({ reason: r.reason ?? 'unknown', count: Number(r.n) }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));

  // Milestones per UTC day from the events (ISO text: the first 10 characters are the date).
  const dayRows = await sql<{ day: string; type: string; n: number | string }>`
    select substr(e.at, 1, 10) as day, e.type as type, count(*) as n
    from distribution_events e join invitations i on i.id = e.invitation_id
    where i.wave_id = ${id} and e.type <> 'invited'
    group by substr(e.at, 1, 10), e.type
    order by day`.execute(db);
  const days = new Map<string, WaveProgress['overTime'][number]>();
  const field: Record<string, keyof Omit<WaveProgress['overTime'][number], 'date'>> = {
    sent: 'sent',
    opened: 'opened',
    started: 'started',
    completed: 'completed',
    screened_out: 'screenedOut',
    quota_full: 'quotaFull',
    reminded: 'reminded',
  };
  for (const r of dayRows.rows) {
    const key = field[r.type];
    if (!key) continue;
    let day = days.get(r.day);
    if (!day) {
      day = {
        date: r.day,
        sent: 0,
        opened: 0,
        started: 0,
        completed: 0,
        screenedOut: 0,
        quotaFull: 0,
        reminded: 0,
      };
      days.set(r.day, day);
    }
    day[key] += Number(r.n);
  }

  return {
    wave,
    byStatus,
    byChannel: channelRows.map((r) => ({
      channel: r.opened_channel ?? '',
      opened: Number(r.opened),
      started: Number(r.started),
      completed: Number(r.completed),
    })),
    optedOut: Number(optedOut.n),
    heldForQuota: Number(held.n),
    failures,
    overTime: [...days.values()],
  };
}
