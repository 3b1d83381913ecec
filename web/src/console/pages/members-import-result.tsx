import { useEffect, useMemo } from 'react';
import type { ImportResult } from '../api.ts';
import { rejectedCsv } from './members-upload.ts';

/** Rejected lines shown in the page; the download has them all. */
const shownRejections = 200;

const figures: [keyof Omit<ImportResult, 'rejected' | 'attributes'> | 'rejected', string][] = [
  ['inserted', 'Inserted'],
  ['updated', 'Updated'],
  ['unchanged', 'Unchanged'],
  ['rejected', 'Rejected'],
];

/** What an import did: its four counts, the attribute columns with their types, and every rejected line. */
export function MembersImportResult({ result, fileName }: { result: ImportResult; fileName: string }) {
  const download = useMemo(
    () => (result.rejected.length > 0 ? URL.createObjectURL(rejectedCsv(result.rejected)) : null),
    [result],
  );
  useEffect(
    () => () => {
      if (download) URL.revokeObjectURL(download);
    },
    [download],
  );
  const value = (key: (typeof figures)[number][0]) =>
    key === 'rejected' ? result.rejected.length : result[key];
  const base = fileName.replace(/\.[^.]*$/, '') || 'members';

  return (
    <div className="import-result">
      <dl className="counts">
        {figures.map(([key, label]) => (
          <div key={key} className={`count count-${key}`}>
            <dt>{label}</dt>
            <dd data-count={key}>{value(key).toLocaleString()}</dd>
          </div>
        ))}
      </dl>
      {result.attributes.length > 0 ? (
        <p className="muted">
          Attributes:{' '}
          {result.attributes.map((a, i) => (
            <span key={a.key}>
              {i > 0 ? ', ' : null}
              <code>{a.key}</code> ({a.type})
            </span>
          ))}
        </p>
      ) : null}
      {result.rejected.length > 0 ? (
        <>
          <div className="rejected-head">
            <h3>Rejected lines</h3>
            {download ? (
              <a className="button" href={download} download={`${base}-rejected.csv`}>
                Download rejected lines (CSV)
              </a>
            ) : null}
          </div>
          <table className="table rejected-table" aria-label="Rejected lines">
            <thead>
              <tr>
                <th className="num">Line</th>
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {result.rejected.slice(0, shownRejections).map((r) => (
                <tr key={r.line}>
                  <td className="num">{r.line}</td>
                  <td>{r.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {result.rejected.length > shownRejections ? (
            <p className="muted">
              … and {(result.rejected.length - shownRejections).toLocaleString()} more in the download.
            </p>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
