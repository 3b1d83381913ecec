// Second, informational baseline for the portal bench: a bare Fastify 5 route that answers the
// portal's question with the same SQL text, run by better-sqlite3 directly on the same database
// file (same pragmas, one prepared statement), mapped to the same JSON shape. No authentication,
// no Kysely, no module layers: what the lookup itself costs behind a bare route.
import SQLite from 'better-sqlite3';
import Fastify from 'fastify';

const db = new SQLite(process.env['BASELINE_SQLITE']!);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
// The statement src/distribution/portal.ts ran on every request before its cache (portalSql, 8656d77).
const lookup =
  db.prepare(`select i.survey_id, s.title, i.token, i.status, i.invited_at, w.deadline, w.estimated_minutes
from members m
join invitations i on i.member_id = m.id
join waves w on w.id = i.wave_id
join surveys s on s.id = i.survey_id
where m.external_id = ? and m.opted_out_at is null
  and i.status in ('invited', 'sent', 'send_failed', 'opened', 'started')
  and w.status = 'ready' and w.start_at <= ?
  and (w.deadline is null or w.deadline > ?)
  and s.closed = 0 and s.current_version is not null
order by i.invited_at desc, i.id desc
limit 100`);
interface Row {
  survey_id: string;
  title: string;
  token: string;
  status: string;
  invited_at: string;
  deadline: string | null;
  estimated_minutes: number | null;
}
const publicUrl = 'https://survey.example.org';
const app = Fastify();
app.get<{ Params: { externalId: string } }>('/api/v1/portal/members/:externalId/surveys', async (request) => {
  const now = new Date().toISOString();
  const rows = lookup.all(request.params.externalId, now, now) as Row[];
  return {
    surveys: rows.map((r) => ({
      surveyId: r.survey_id,
      title: r.title,
      link: `${publicUrl}/s/${encodeURIComponent(r.token)}?ch=portal`,
      deadline: r.deadline,
      estimatedMinutes: r.estimated_minutes,
      status: r.status,
      invitedAt: r.invited_at,
    })),
  };
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(
  `listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`,
);
process.once('SIGTERM', () => {
  void app.close().then(() => {
    db.close();
    process.exit(0);
  });
});
