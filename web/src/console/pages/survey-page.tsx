import { useState } from 'react';
import { api, type SurveyDetail } from '../api.ts';
import { CountsRow } from '../components/counts.tsx';
import { ErrorBox } from '../components/error-box.tsx';
import { Link } from '../router.tsx';
import { useLoad } from '../use-load.ts';
import { SurveyQuotas } from './quota-panel.tsx';
import { wavesPath } from './waves-page.tsx';

/** One survey: counts, open link, downloads, versions and the definition of the current version. */
export function SurveyPage({ id, canEdit }: { id: string; canEdit: boolean }) {
  const [loaded, reload] = useLoad(() => api.survey(id), [id]);
  if (loaded.state === 'loading') return <p className="muted">Loading…</p>;
  if (loaded.state === 'error') {
    return (
      <section>
        <p>
          <Link href="/surveys">← Surveys</Link>
        </p>
        <ErrorBox error={loaded.error} />
      </section>
    );
  }
  return <SurveyView survey={loaded.value} canEdit={canEdit} reload={reload} />;
}

function SurveyView({
  survey,
  canEdit,
  reload,
}: {
  survey: SurveyDetail;
  canEdit: boolean;
  reload: () => void;
}) {
  const [labels, setLabels] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const openUrl = `${window.location.origin}/o/${encodeURIComponent(survey.id)}`;

  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <p>
        <Link href="/surveys">← Surveys</Link>
      </p>
      <header className="page-head">
        <div>
          <h1>{survey.title || survey.id}</h1>
          <p className="muted">
            <code>{survey.id}</code>
            {survey.client ? <> · client {survey.client}</> : null} · time zone {survey.timezone}
            {survey.closed ? <span className="tag">closed</span> : null}
          </p>
        </div>
        <div className="actions">
          <Link href={wavesPath(survey.id)} className="button">
            Waves
          </Link>
          {canEdit ? (
            <Link href={`/surveys/${encodeURIComponent(survey.id)}/edit`} className="button">
              Edit draft
            </Link>
          ) : null}
          {canEdit ? (
            <button
              type="button"
              className="primary"
              disabled={busy || (!survey.draftChanged && survey.currentVersion !== null)}
              onClick={() => act(() => api.publish(survey.id))}
            >
              {survey.currentVersion === null ? 'Publish version 1' : 'Publish draft'}
            </button>
          ) : null}
        </div>
      </header>
      <ErrorBox error={error} />

      <div className="grid">
        <div className="card">
          <h2>Responses</h2>
          <CountsRow counts={survey.counts} />
          <div className="download">
            <a className="button" href={api.exportUrl(survey.id, labels)} download>
              Download CSV
            </a>
            <label className="inline">
              <input type="checkbox" checked={labels} onChange={(e) => setLabels(e.target.checked)} />
              labels instead of codes
            </label>
          </div>
        </div>

        <div className="card">
          <h2>Open link</h2>
          <label className="inline">
            <input
              type="checkbox"
              name="openLink"
              checked={survey.openLink}
              disabled={!canEdit || busy}
              onChange={(e) => {
                const openLink = e.target.checked;
                void act(() => api.updateSettings(survey.id, { openLink }));
              }}
            />
            anyone with the link may answer
          </label>
          {survey.openLink ? (
            <p>
              <a className="open-link" href={openUrl} target="_blank" rel="noreferrer">
                {openUrl}
              </a>
            </p>
          ) : null}
          {survey.openLink && survey.currentVersion === null ? (
            <p className="muted">Publish a version before sharing the link.</p>
          ) : null}
        </div>

        <div className="card">
          <h2>Versions</h2>
          {survey.versions.length === 0 ? <p className="muted">Not published yet.</p> : null}
          <ul className="versions">
            {[...survey.versions].reverse().map((v) => (
              <li key={v.version}>
                <strong>v{v.version}</strong> {formatTime(v.publishedAt)}
                {v.publishedBy ? <span className="muted"> by {v.publishedBy}</span> : null}
              </li>
            ))}
          </ul>
          {survey.draftChanged && survey.currentVersion !== null ? (
            <p className="muted">The draft has changes not yet published.</p>
          ) : null}
        </div>
      </div>

      <SurveyQuotas surveyId={survey.id} canEdit={canEdit} />

      <Definition survey={survey} />
    </section>
  );
}

/** The current version's document, pretty-printed; the draft when nothing is published. */
function Definition({ survey }: { survey: SurveyDetail }) {
  const version = survey.currentVersion;
  const [doc] = useLoad(
    () => (version === null ? Promise.resolve(null) : api.version(survey.id, version)),
    [survey.id, version],
  );
  let text = survey.draftSource;
  let heading = 'Draft definition';
  if (version !== null && doc.state === 'ready' && doc.value) {
    text = JSON.stringify(sourceForm(doc.value.document), null, 2);
    heading = `Definition of version ${version}`;
  }
  return (
    <div className="card">
      <h2>{heading}</h2>
      {doc.state === 'error' ? <ErrorBox error={doc.error} /> : null}
      <pre className="source">{text}</pre>
    </div>
  );
}

/**
 * A version's document (`{surveyjs, screenOut, timezone, estimatedMinutes}`) in the form it is
 * written: SurveyJS JSON with the enquete keys beside it at the top.
 */
function sourceForm(document: Record<string, unknown>): Record<string, unknown> {
  const { surveyjs, screenOut, timezone, estimatedMinutes, ...other } = document;
  if (typeof surveyjs !== 'object' || surveyjs === null) return document;
  const form: Record<string, unknown> = { ...(surveyjs as Record<string, unknown>), ...other };
  if (Array.isArray(screenOut) && screenOut.length > 0) form['screenOut'] = screenOut;
  if (timezone !== undefined) form['timezone'] = timezone;
  if (estimatedMinutes !== undefined && estimatedMinutes !== null)
    form['estimatedMinutes'] = estimatedMinutes;
  return form;
}

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
