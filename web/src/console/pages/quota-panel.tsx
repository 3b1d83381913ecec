import { type FormEvent, useState } from 'react';
import { ErrorBox } from '../components/error-box.tsx';
import { useLoad } from '../use-load.ts';
import { QuotaForm } from './quota-form.tsx';
import { type Quota, type QuotaCell, wavesApi } from './waves-api.ts';
import { useEvery } from './waves-refresh.ts';

/** Counts move as respondents complete: ask again this often while the survey page is open. */
const refreshMs = 4_000;

/**
 * A survey's quotas: each cell's completes against its limit as a bar, refreshed while shown;
 * researchers and admins add a quota and change a cell's limit, client users only read.
 */
export function SurveyQuotas({ surveyId, canEdit }: { surveyId: string; canEdit: boolean }) {
  const [quotas, reload] = useLoad(() => wavesApi.quotas(surveyId), [surveyId]);
  useEvery(reload, refreshMs);
  const [adding, setAdding] = useState(false);
  return (
    <div className="card quotas">
      <div className="preview-head">
        <h2>Quotas</h2>
        {canEdit ? (
          <button type="button" onClick={() => setAdding((v) => !v)}>
            {adding ? 'Close the form' : 'Add a quota'}
          </button>
        ) : null}
      </div>
      {quotas.state === 'loading' ? <p className="muted">Loading…</p> : null}
      {quotas.state === 'error' ? <ErrorBox error={quotas.error} /> : null}
      {quotas.state === 'ready' && quotas.value.length === 0 ? (
        <p className="muted">No quotas: every complete counts as completed.</p>
      ) : null}
      {quotas.state === 'ready'
        ? quotas.value.map((q) => <QuotaTable key={q.id} quota={q} canEdit={canEdit} onChanged={reload} />)
        : null}
      {canEdit && adding ? (
        <QuotaForm
          surveyId={surveyId}
          onCreated={() => {
            setAdding(false);
            reload();
          }}
        />
      ) : null}
    </div>
  );
}

function QuotaTable({
  quota,
  canEdit,
  onChanged,
}: {
  quota: Quota;
  canEdit: boolean;
  onChanged: () => void;
}) {
  return (
    <table className="table quota-table" aria-label={`Quota ${quota.name}`} data-quota={quota.id}>
      <caption>{quota.name}</caption>
      <thead>
        <tr>
          <th>Cell</th>
          <th>Member condition</th>
          <th>Answer condition</th>
          <th className="num">Completes</th>
          <th className="bar-cell">Filled</th>
          <th className="num">Limit</th>
        </tr>
      </thead>
      <tbody>
        {quota.cells.map((c) => (
          <tr key={c.id} data-cell={c.label}>
            <th scope="row">
              {c.label}
              {c.full ? <span className="tag tag-bad">full</span> : null}
            </th>
            <td>
              {c.memberCondition ? <code>{c.memberCondition}</code> : <span className="muted">any</span>}
            </td>
            <td>
              {c.answerCondition ? <code>{c.answerCondition}</code> : <span className="muted">any</span>}
            </td>
            <td className="num" data-count={c.count}>
              {c.count.toLocaleString()}
            </td>
            <td className="bar-cell">
              <span className="bar" title={`${c.count} of ${c.limit}`}>
                <span
                  className={c.full ? 'bar-fill bar-full' : 'bar-fill'}
                  style={{ width: `${c.limit === 0 ? 100 : Math.min(100, (c.count / c.limit) * 100)}%` }}
                />
              </span>
            </td>
            <td className="num" data-limit={c.limit}>
              {canEdit ? (
                <LimitEditor quotaId={quota.id} cell={c} onSaved={onChanged} />
              ) : (
                c.limit.toLocaleString()
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A cell's limit as a small form: Save appears once the number differs from the stored one. */
function LimitEditor({ quotaId, cell, onSaved }: { quotaId: string; cell: QuotaCell; onSaved: () => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const value = draft ?? String(cell.limit);
  const changed = draft !== null && draft !== String(cell.limit);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await wavesApi.setCellLimit(quotaId, cell.id, Number(value));
      setDraft(null);
      onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="limit-editor" onSubmit={save}>
      <input
        type="number"
        min={0}
        step={1}
        required
        className="limit-input"
        aria-label={`Limit of ${cell.label}`}
        value={value}
        onChange={(e) => setDraft(e.target.value)}
      />
      {changed ? (
        <button type="submit" className="small" disabled={busy}>
          Save
        </button>
      ) : null}
      <ErrorBox error={error} />
    </form>
  );
}
