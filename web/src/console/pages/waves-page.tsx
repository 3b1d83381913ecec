import { useState } from 'react';
import { api } from '../api.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { Link, navigate, useSearch } from '../router.tsx';
import { useLoad } from '../use-load.ts';
import { WaveForm } from './wave-form.tsx';
import { WaveStatusTag } from './wave-status.tsx';
import { formatInstant, type ReturnLinks, type WaveCreated, wavePath, wavesApi } from './waves-api.ts';

/** The console path of the waves list, optionally of one survey. */
export function wavesPath(surveyId?: string): string {
  return surveyId ? `/waves?survey=${encodeURIComponent(surveyId)}` : '/waves';
}

/**
 * Every wave (newest first), narrowed to one survey with `?survey=`; researchers and admins
 * create waves here. Client users see the waves of their own surveys and nothing to change.
 */
export function WavesPage({ canEdit }: { canEdit: boolean }) {
  const surveyId = new URLSearchParams(useSearch()).get('survey') ?? '';
  const [surveys] = useLoad(() => api.surveys(), []);
  const [waves, reload] = useLoad(() => wavesApi.waves(surveyId || undefined), [surveyId]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<WaveCreated | null>(null);
  const titles = new Map(surveys.state === 'ready' ? surveys.value.map((s) => [s.id, s.title || s.id]) : []);

  return (
    <section>
      <header className="page-head">
        <div>
          <h1>Waves</h1>
          <p className="muted">
            Invitations to a survey for the members of a segment, by e-mail or the portal.
          </p>
        </div>
        {canEdit ? (
          <div className="actions">
            <Link href="/outbox" className="button">
              Outbox
            </Link>
            <button
              type="button"
              className="primary"
              onClick={() => {
                setCreating((v) => !v);
                setCreated(null);
              }}
            >
              {creating ? 'Close the form' : 'New wave'}
            </button>
          </div>
        ) : null}
      </header>

      {created ? (
        <p className="notice" role="status">
          Wave <Link href={wavePath(created.wave.id)}>{created.wave.name ?? created.wave.id}</Link> created:{' '}
          <span data-invited={created.invited}>{created.invited.toLocaleString()} invited</span>
          {created.alreadyInvited > 0
            ? `, ${created.alreadyInvited.toLocaleString()} skipped (an earlier wave invited them to this survey)`
            : ''}
          {created.wave.channel === 'email' && created.withoutEmail > 0
            ? `, ${created.withoutEmail.toLocaleString()} without an e-mail address (they cannot be sent the invitation)`
            : ''}
          .
        </p>
      ) : null}
      {created?.returnLinks ? <ReturnLinksCard links={created.returnLinks} /> : null}

      {canEdit && creating ? (
        <div className="card">
          <h2>New wave</h2>
          {surveys.state === 'loading' ? <p className="muted">Loading…</p> : null}
          {surveys.state === 'error' ? <ErrorBox error={surveys.error} /> : null}
          {surveys.state === 'ready' ? (
            <WaveForm
              surveys={surveys.value}
              initialSurvey={surveyId}
              onCreated={(result) => {
                setCreated(result);
                setCreating(false);
                reload();
              }}
            />
          ) : null}
        </div>
      ) : null}

      <div className="card filters">
        <label>
          Waves of
          <select
            aria-label="Waves of"
            value={surveyId}
            onChange={(e) => navigate(wavesPath(e.target.value), { replace: true })}
          >
            <option value="">all surveys</option>
            {surveys.state === 'ready'
              ? surveys.value.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.title || s.id}
                  </option>
                ))
              : null}
          </select>
        </label>
      </div>

      {waves.state === 'loading' ? <p className="muted">Loading…</p> : null}
      {waves.state === 'error' ? <ErrorBox error={waves.error} /> : null}
      {waves.state === 'ready' && waves.value.length === 0 ? (
        <p className="muted">{surveyId ? 'This survey has no waves yet.' : 'No waves yet.'}</p>
      ) : null}
      {waves.state === 'ready' && waves.value.length > 0 ? (
        <table className="table waves-table" aria-label="Waves">
          <thead>
            <tr>
              <th>Wave</th>
              <th>Survey</th>
              <th>Channel</th>
              <th>Segment</th>
              <th>Start</th>
              <th>Deadline</th>
              <th className="num">Invited</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {waves.value.map((w) => (
              <tr key={w.id} data-wave={w.id}>
                <td>
                  <Link href={wavePath(w.id)}>{w.name ?? w.id}</Link>
                  {w.name ? <div className="muted small-print">{w.id}</div> : null}
                </td>
                <td>
                  <Link href={`/surveys/${encodeURIComponent(w.surveyId)}`}>
                    {titles.get(w.surveyId) ?? w.surveyId}
                  </Link>
                </td>
                <td>{w.channel === 'email' ? 'e-mail' : 'portal'}</td>
                <td>{w.segment === null ? '—' : <code className="segment-cell">{w.segment}</code>}</td>
                <td>{formatInstant(w.startAt)}</td>
                <td>{w.deadline ? formatInstant(w.deadline) : <span className="muted">none</span>}</td>
                <td className="num">{w.invited.toLocaleString()}</td>
                <td>
                  <WaveStatusTag wave={w} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

/** The addresses an external engine sends respondents back to, and the key it signs them with. */
function ReturnLinksCard({ links }: { links: ReturnLinks }) {
  const rows: [string, string][] = [
    ['Members go to', links.externalUrl],
    ['Complete', links.complete],
    ['Screen-out', links.screenout],
    ['Quota full', links.quotafull],
    ['Signing key', links.secret],
  ];
  return (
    <div className="card">
      <h2>Return links for the external engine</h2>
      <p className="muted">
        The engine sends each respondent back to one of these, with the member's token and a signature made
        with the key. Give the key to the engine and to nobody else.
      </p>
      <dl className="job-facts wave-facts">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>
              <code className="segment-cell">{v}</code>
            </dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
