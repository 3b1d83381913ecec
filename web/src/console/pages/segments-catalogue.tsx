import type { AttributeEntry } from '../api.ts';
import { ErrorBox } from '../components/error-box.tsx';
import type { Loaded } from '../use-load.ts';

const keywords = new Set(['and', 'or', 'not', 'in', 'is', 'empty', 'contains', 'all']);
const plainName = /^[\p{L}_][\p{L}\p{N}_]*$/u;

/** An attribute name as a segment writes it: bare when it is a plain word, else in double quotes. */
export function nameLiteral(name: string): string {
  return plainName.test(name) && !keywords.has(name.toLowerCase()) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** A value as a segment writes it: numbers and dates bare, text in single quotes. */
export function valueLiteral(value: number | string, type: AttributeEntry['type']): string {
  if (typeof value === 'number' || type === 'date') return String(value);
  return `'${value.replace(/'/g, "''")}'`;
}

const memberFields = [
  { key: 'external_id', note: 'the member’s id' },
  { key: 'email', note: 'e-mail address' },
  { key: 'name', note: 'name' },
];

function Values({ entry, onInsert }: { entry: AttributeEntry; onInsert: (text: string) => void }) {
  const ranged = (entry.type === 'number' || entry.type === 'date') && entry.more;
  return (
    <>
      {ranged ? (
        <span className="range">
          {String(entry.min)} – {String(entry.max)}
          {' · '}
        </span>
      ) : null}
      {entry.values.map((v, i) => (
        <span key={String(v)}>
          {i > 0 ? ', ' : null}
          <button
            type="button"
            className="value-button"
            title="Insert into the expression"
            onClick={() => onInsert(valueLiteral(v, entry.type))}
          >
            {String(v)}
          </button>
        </span>
      ))}
      {entry.more ? <span className="muted"> …</span> : null}
    </>
  );
}

/**
 * The attribute catalogue beside the segment editor: every attribute with its type and values
 * (a click inserts the name or the value at the cursor), the member fields, and the syntax.
 */
export function SegmentsCatalogue({
  catalogue,
  onInsert,
}: {
  catalogue: Loaded<AttributeEntry[]>;
  onInsert: (text: string) => void;
}) {
  return (
    <div className="card catalogue">
      <h2>Attributes</h2>
      {catalogue.state === 'loading' ? <p className="muted">Loading…</p> : null}
      {catalogue.state === 'error' ? <ErrorBox error={catalogue.error} /> : null}
      {catalogue.state === 'ready' ? (
        <table className="table catalogue-table" aria-label="Attribute catalogue">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Values</th>
            </tr>
          </thead>
          <tbody>
            {catalogue.value.map((entry) => (
              <tr key={entry.key} data-attribute={entry.key}>
                <td>
                  <button
                    type="button"
                    className="name-button"
                    onClick={() => onInsert(nameLiteral(entry.key))}
                  >
                    {entry.key}
                  </button>
                </td>
                <td className="muted">{entry.type}</td>
                <td>
                  <Values entry={entry} onInsert={onInsert} />
                </td>
              </tr>
            ))}
            {memberFields.map((f) => (
              <tr key={f.key} data-field={f.key}>
                <td>
                  <button type="button" className="name-button" onClick={() => onInsert(f.key)}>
                    {f.key}
                  </button>
                </td>
                <td className="muted">member field</td>
                <td className="muted">{f.note}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {catalogue.state === 'ready' && catalogue.value.length === 0 ? (
        <p className="muted">No attributes yet: import a member file.</p>
      ) : null}
      <details className="syntax">
        <summary>Syntax</summary>
        <ul>
          <li>
            <code>age &gt;= 40</code>, <code>region = 'Kanto'</code>, <code>joined &lt; 2024-04-01</code> —
            also <code>!=</code>, <code>&lt;</code>, <code>&lt;=</code>, <code>&gt;</code>
          </li>
          <li>
            <code>specialty in ('cardiology', 'oncology')</code>, <code>not in (…)</code>
          </li>
          <li>
            lists: <code>specialties contains 'oncology'</code>, <code>not contains</code>
          </li>
          <li>
            <code>email is empty</code>, <code>is not empty</code>
          </li>
          <li>
            <code>and</code>, <code>or</code>, <code>not</code>, parentheses; <code>all</code> for every
            member
          </li>
          <li>
            text in single quotes, numbers and dates (YYYY-MM-DD) bare, odd names in double quotes. Opted-out
            members never match.
          </li>
        </ul>
      </details>
    </div>
  );
}
