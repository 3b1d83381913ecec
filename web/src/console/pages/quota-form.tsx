import { type FormEvent, useId, useRef, useState } from 'react';
import { ApiError } from '../../shared/api-client.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { type QuotaInput, wavesApi } from './waves-api.ts';

interface CellDraft {
  key: number;
  label: string;
  memberCondition: string;
  answerCondition: string;
  limit: string;
}

const cellFields = ['label', 'memberCondition', 'answerCondition', 'limit'] as const;

function emptyCell(key: number): CellDraft {
  return { key, label: '', memberCondition: '', answerCondition: '', limit: '' };
}

/**
 * The cell (0-based) and field a QUOTA_INVALID refusal names (`details.field` is a place in the
 * body: `name`, `cells[1].memberCondition`), or nulls.
 */
export function placeOf(error: unknown): { cell: number | null; field: string | null } {
  if (!(error instanceof ApiError)) return { cell: null, field: null };
  const field = error.details?.['field'];
  if (typeof field !== 'string') return { cell: null, field: null };
  const inCell = /^cells\[(\d+)\](?:\.(\w+))?$/.exec(field);
  if (inCell) return { cell: Number(inCell[1]), field: inCell[2] ?? null };
  return { cell: null, field };
}

/**
 * A new quota: a name and its cells, each with a label, an optional member condition (a segment
 * expression on the member's attributes), an optional answer condition (a SurveyJS expression)
 * and a limit of completes. A refusal shows at the cell it names.
 */
export function QuotaForm({ surveyId, onCreated }: { surveyId: string; onCreated: () => void }) {
  const uid = useId();
  const keys = useRef(0);
  const fresh = () => {
    keys.current += 1;
    return emptyCell(keys.current);
  };
  const [name, setName] = useState('');
  const [cells, setCells] = useState<CellDraft[]>(() => [fresh()]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const place = placeOf(error);

  const change = (key: number, field: (typeof cellFields)[number], value: string) =>
    setCells((cs) => cs.map((c) => (c.key === key ? { ...c, [field]: value } : c)));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const input: QuotaInput = {
      name: name.trim(),
      cells: cells.map((c) => ({
        label: c.label.trim(),
        ...(c.memberCondition.trim() ? { memberCondition: c.memberCondition.trim() } : {}),
        ...(c.answerCondition.trim() ? { answerCondition: c.answerCondition.trim() } : {}),
        limit: Number(c.limit),
      })),
    };
    try {
      await wavesApi.createQuota(surveyId, input);
      setName('');
      setCells([fresh()]);
      onCreated();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="quota-form" onSubmit={submit} aria-label="New quota">
      <h3>New quota</h3>
      <label htmlFor={`${uid}-name`}>Quota name</label>
      <input
        id={`${uid}-name`}
        value={name}
        required
        onChange={(e) => setName(e.target.value)}
        placeholder="e.g. Region"
      />
      {place.cell === null && place.field === 'name' ? <ErrorBox error={error} /> : null}
      <table className="table quota-cells-form">
        <thead>
          <tr>
            <th>Cell</th>
            <th>Member condition</th>
            <th>Answer condition</th>
            <th className="num">Limit</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {cells.map((c, i) => (
            <CellRow
              key={c.key}
              index={i}
              cell={c}
              error={place.cell === i ? error : null}
              removable={cells.length > 1}
              onChange={(field, value) => change(c.key, field, value)}
              onRemove={() => setCells((cs) => cs.filter((x) => x.key !== c.key))}
            />
          ))}
        </tbody>
      </table>
      <p className="muted small-print">
        A member condition is a segment expression (<code>region = 'Kanto'</code>); an answer condition is a
        survey expression (<code>{'{age} >= 40'}</code>). A complete counts in every cell whose conditions it
        meets; once a cell is full, further matching completes end as quota-full.
      </p>
      {place.cell === null && place.field !== 'name' ? <ErrorBox error={error} /> : null}
      <div className="actions">
        <button type="button" onClick={() => setCells((cs) => [...cs, fresh()])}>
          Add a cell
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create quota'}
        </button>
      </div>
    </form>
  );
}

function CellRow({
  index,
  cell,
  error,
  removable,
  onChange,
  onRemove,
}: {
  index: number;
  cell: CellDraft;
  error: unknown;
  removable: boolean;
  onChange: (field: (typeof cellFields)[number], value: string) => void;
  onRemove: () => void;
}) {
  const n = index + 1;
  return (
    <>
      <tr data-cell-form={n}>
        <td>
          <input
            aria-label={`Label of cell ${n}`}
            value={cell.label}
            required
            onChange={(e) => onChange('label', e.target.value)}
          />
        </td>
        <td>
          <input
            aria-label={`Member condition of cell ${n}`}
            className="code-input"
            value={cell.memberCondition}
            spellCheck={false}
            onChange={(e) => onChange('memberCondition', e.target.value)}
          />
        </td>
        <td>
          <input
            aria-label={`Answer condition of cell ${n}`}
            className="code-input"
            value={cell.answerCondition}
            spellCheck={false}
            onChange={(e) => onChange('answerCondition', e.target.value)}
          />
        </td>
        <td className="num">
          <input
            aria-label={`Limit of cell ${n}`}
            type="number"
            min={0}
            step={1}
            required
            className="limit-input"
            value={cell.limit}
            onChange={(e) => onChange('limit', e.target.value)}
          />
        </td>
        <td>
          {removable ? (
            <button type="button" className="small" onClick={onRemove} aria-label={`Remove cell ${n}`}>
              Remove
            </button>
          ) : null}
        </td>
      </tr>
      {error ? (
        <tr>
          <td colSpan={5}>
            <ErrorBox error={error} />
          </td>
        </tr>
      ) : null}
    </>
  );
}
