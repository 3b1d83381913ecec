import { api } from '../api.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { Link } from '../router.tsx';
import { useLoad } from '../use-load.ts';

/** Every survey the signed-in user may see, with its response counts. */
export function SurveyListPage({ canEdit }: { canEdit: boolean }) {
  const [surveys] = useLoad(() => api.surveys(), []);
  return (
    <section>
      <header className="page-head">
        <h1>Surveys</h1>
        {canEdit ? (
          <Link href="/surveys/new" className="button primary">
            New survey
          </Link>
        ) : null}
      </header>
      {surveys.state === 'loading' ? <p className="muted">Loading…</p> : null}
      {surveys.state === 'error' ? <ErrorBox error={surveys.error} /> : null}
      {surveys.state === 'ready' && surveys.value.length === 0 ? (
        <p className="muted">No surveys yet.</p>
      ) : null}
      {surveys.state === 'ready' && surveys.value.length > 0 ? (
        <table className="table survey-table">
          <thead>
            <tr>
              <th>Title</th>
              <th>Client</th>
              <th className="num">Version</th>
              <th className="num">In progress</th>
              <th className="num">Completed</th>
              <th className="num">Screened out</th>
              <th>Open link</th>
            </tr>
          </thead>
          <tbody>
            {surveys.value.map((s) => (
              <tr key={s.id} data-survey={s.id}>
                <td>
                  <Link href={`/surveys/${encodeURIComponent(s.id)}`}>{s.title || s.id}</Link>
                  {s.closed ? <span className="tag">closed</span> : null}
                </td>
                <td>{s.client ?? <span className="muted">—</span>}</td>
                <td className="num">{s.currentVersion ?? <span className="tag">draft</span>}</td>
                <td className="num">{s.counts.in_progress.toLocaleString()}</td>
                <td className="num">{s.counts.completed.toLocaleString()}</td>
                <td className="num">{s.counts.screened_out.toLocaleString()}</td>
                <td>{s.openLink ? 'on' : 'off'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
