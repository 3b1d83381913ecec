import { CompiledQuery } from 'kysely';
import type { Db } from '../db/index.ts';
import type { Clock } from '../kernel/index.ts';
import type { InvitationStatus, PortalSurvey } from './types.ts';

interface PortalRow {
  survey_id: string;
  title: string;
  token: string;
  status: InvitationStatus;
  invited_at: string;
  deadline: string | null;
  estimated_minutes: number | null;
}

/**
 * The portal's question, "what is open for this member?", as one statement written once per
 * dialect: the member by external id (unique index), their open invitations from one range of the
 * covering index `invitations_portal` (member_id, status, …; migration 0009), each joined to its
 * wave and survey by primary key. Open means: still pending, the wave started and not past its deadline, the survey
 * published and not closed, the member not opted out. It reads `members` and `surveys` directly
 * (read-only): this is the hot path, and one indexed statement is the point.
 */
function portalSql(placeholder: (n: number) => string): string {
  return `select i.survey_id, s.title, i.token, i.status, i.invited_at, w.deadline, w.estimated_minutes
from members m
join invitations i on i.member_id = m.id
join waves w on w.id = i.wave_id
join surveys s on s.id = i.survey_id
where m.external_id = ${placeholder(1)} and m.opted_out_at is null
  and i.status in ('invited', 'sent', 'send_failed', 'opened', 'started')
  and w.status = 'ready' and w.start_at <= ${placeholder(2)}
  and (w.deadline is null or w.deadline > ${placeholder(3)})
  and s.closed = 0 and s.current_version is not null
order by i.invited_at desc, i.id desc
limit 100`;
}

/**
 * Builds the portal lookup for a database: the SQL text is made once; a request only binds the
 * external id and the time.
 *
 * @example
 * const openSurveys = portalLookup({ db, clock, publicUrl });
 * await openSurveys('M-1024'); // → [{ surveyId, title, link, deadline, estimatedMinutes, … }]
 */
export function portalLookup(deps: { db: Db; clock: Clock; publicUrl: string }) {
  const { db, clock, publicUrl } = deps;
  const text = portalSql((n) => (db.dialect === 'postgres' ? `$${n}` : '?'));
  return async (externalId: string): Promise<PortalSurvey[]> => {
    const now = clock.now().toISOString();
    const result = await db.kysely.executeQuery<PortalRow>(CompiledQuery.raw(text, [externalId, now, now]));
    return result.rows.map((r) => ({
      surveyId: r.survey_id,
      title: r.title,
      link: `${publicUrl}/s/${encodeURIComponent(r.token)}?ch=portal`,
      deadline: r.deadline,
      estimatedMinutes: r.estimated_minutes === null ? null : Number(r.estimated_minutes),
      status: r.status,
      invitedAt: r.invited_at,
    }));
  };
}
