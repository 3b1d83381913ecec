import type { ReactNode } from 'react';
import { api } from '../api.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { Link } from '../router.tsx';
import { useLoad } from '../use-load.ts';
import { OutboxCounts, OutboxList } from './outbox-list.tsx';
import { outboxPath } from './outbox-page.tsx';
import { ByChannel, OverTime, StatusFunnel } from './wave-progress.tsx';
import { WaveStatusTag } from './wave-status.tsx';
import { formatInstant, type Wave, type WaveProgress, wavesApi } from './waves-api.ts';
import { wavesPath } from './waves-page.tsx';
import { useEvery } from './waves-refresh.ts';

/** How often the page asks for the progress again while it is open. */
const refreshMs = 3_000;

/**
 * One wave: what it is, its progress (by status, by channel, per day) refreshed while the page is
 * open, and — for researchers and admins — its outbox.
 */
export function WavePage({ id, canEdit }: { id: string; canEdit: boolean }) {
  const [progress, reload] = useLoad(() => wavesApi.progress(id), [id]);
  useEvery(reload, refreshMs);

  if (progress.state === 'loading') return <p className="muted">Loading…</p>;
  if (progress.state === 'error') {
    return (
      <section>
        <p>
          <Link href="/waves">← Waves</Link>
        </p>
        <ErrorBox error={progress.error} />
      </section>
    );
  }
  const p = progress.value;
  const w = p.wave;
  return (
    <section>
      <p>
        <Link href={wavesPath(w.surveyId)}>← Waves of this survey</Link>
      </p>
      <header className="page-head">
        <div>
          <h1>{w.name ?? `Wave ${w.id}`}</h1>
          <p className="muted">
            <code>{w.id}</code> · survey <SurveyLink id={w.surveyId} /> <WaveStatusTag wave={w} />
          </p>
        </div>
      </header>
      {w.status === 'failed' && w.error ? <ErrorBox error={w.error} /> : null}

      <div className="grid wave-grid">
        <div className="card">
          <h2>Progress</h2>
          <StatusFunnel progress={p} />
          <HeldForQuota progress={p} />
          <Extras progress={p} />
        </div>
        <div>
          <div className="card">
            <WaveFacts wave={w} />
          </div>
          <div className="card">
            <h2>By channel of the first visit</h2>
            <ByChannel progress={p} />
          </div>
        </div>
      </div>

      <div className="card">
        <h2>Over time</h2>
        <OverTime progress={p} />
      </div>

      {canEdit && w.channel === 'email' ? (
        <div className="card">
          <div className="preview-head">
            <h2>Outbox of this wave</h2>
            <Link href={outboxPath({ wave: w.id })}>Open in the outbox →</Link>
          </div>
          <OutboxCounts waveId={w.id} refreshMs={refreshMs} />
          <OutboxList waveId={w.id} pageSize={20} refreshMs={refreshMs} showWave={false} />
        </div>
      ) : null}
    </section>
  );
}

/** A link to the survey, named by its title once known. */
function SurveyLink({ id }: { id: string }) {
  const [survey] = useLoad(() => api.survey(id), [id]);
  return (
    <Link href={`/surveys/${encodeURIComponent(id)}`} data-survey={id}>
      {survey.state === 'ready' ? survey.value.title || id : id}
    </Link>
  );
}

/** First messages the hub keeps back while their members can only end quota_full. */
function HeldForQuota({ progress }: { progress: WaveProgress }) {
  const held = progress.heldForQuota ?? 0;
  if (held === 0) return null;
  return (
    <p className="warning" role="status" data-held-for-quota={held}>
      {held.toLocaleString()} {held === 1 ? 'invitation is' : 'invitations are'} held for quota: a quota cell
      they fall in is full, so their first message is not sent (they stay invited). Raising the limit sends
      them.
    </p>
  );
}

function Extras({ progress }: { progress: WaveProgress }) {
  const messages = progress.overTime.reduce((sum, d) => sum + d.sent, 0);
  const reminded = progress.overTime.reduce((sum, d) => sum + d.reminded, 0);
  return (
    <p className="muted small-print">
      {progress.wave.channel === 'email' ? (
        <>
          <span data-messages-sent={messages}>{messages.toLocaleString()} messages sent</span> (reminders
          included) · {reminded.toLocaleString()} reminders ·{' '}
        </>
      ) : null}
      <span data-opted-out={progress.optedOut}>{progress.optedOut.toLocaleString()} opted out since</span>
    </p>
  );
}

function WaveFacts({ wave: w }: { wave: Wave }) {
  const rows: [string, ReactNode][] = [
    ['Segment', w.segment === null ? '—' : <code key="s">{w.segment}</code>],
    ['Channel', w.channel === 'email' ? 'e-mail' : 'portal'],
    ['Start', formatInstant(w.startAt)],
    ['Deadline', w.deadline ? formatInstant(w.deadline) : 'none'],
    ['Reminders', w.reminders.length === 0 ? 'none' : `${w.reminders.join(', ')} (${w.remindersDone} done)`],
    ['Invited', w.invited.toLocaleString()],
    ['Minutes', w.estimatedMinutes === null ? '—' : `about ${w.estimatedMinutes}`],
    ['Created', `${formatInstant(w.createdAt)}${w.createdBy ? ` by ${w.createdBy}` : ''}`],
  ];
  if (w.externalUrl) rows.push(['External URL', <code key="u">{w.externalUrl}</code>]);
  if (w.channel === 'email') rows.push(['Subject', <code key="j">{w.subject}</code>]);
  return (
    <>
      <dl className="job-facts wave-facts">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {w.channel === 'email' ? (
        <details className="wave-template">
          <summary>Message template ({w.format})</summary>
          <pre className="source">{w.body}</pre>
        </details>
      ) : null}
    </>
  );
}
