import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api, type ImportResult, type ImportStatus } from '../api.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { MembersImportResult } from './members-import-result.tsx';
import { progressToken, readHeader, type Upload, uploadMembers } from './members-upload.ts';

const lineKey = '@line';
const pollMs = 500;

interface Picked {
  file: File;
  columns: string[];
  tab: boolean;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * Import of a member file from the browser: pick the file, the key column (offered from its
 * header) and the delimiter, then watch the upload and the rows the server has read, and read
 * the result with every rejected line.
 */
export function MembersImport({ onImported }: { onImported: () => void }) {
  const [picked, setPicked] = useState<Picked | null>(null);
  const [key, setKey] = useState('');
  const [tab, setTab] = useState(false);
  const [sent, setSent] = useState(0);
  const [status, setStatus] = useState<ImportStatus | null>(null);
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const upload = useRef<Upload | null>(null);

  useEffect(() => () => upload.current?.abort(), []);

  const pick = async (file: File | undefined) => {
    setResult(null);
    setError(null);
    setPicked(null);
    if (!file) return;
    try {
      const header = await readHeader(file);
      setPicked({ file, ...header });
      setTab(header.tab);
      setKey(header.columns.includes('external_id') ? 'external_id' : '');
    } catch (e) {
      setError(e);
    }
  };

  const start = async (event: FormEvent) => {
    event.preventDefault();
    if (!picked || !key) return;
    const token = progressToken();
    setRunning(true);
    setResult(null);
    setError(null);
    setSent(0);
    setStatus(null);
    const current = uploadMembers(picked.file, { key, tab, token, onUpload: setSent });
    upload.current = current;
    // The server's own count of rows read, while the upload runs (same process only: see docs).
    const timer = window.setInterval(() => {
      api.importStatus(token).then(setStatus, () => {});
    }, pollMs);
    try {
      const answer = await current.result;
      setResult(answer);
      setSent(picked.file.size);
      onImported();
    } catch (e) {
      setError(e);
    } finally {
      window.clearInterval(timer);
      upload.current = null;
      setRunning(false);
    }
  };

  const size = picked?.file.size ?? 0;
  // The upload runs megabytes ahead of the rows written (socket buffers): once the server reports,
  // the bar follows what it has read; until then, what was sent.
  const done = Math.min(size, status ? status.bytes : sent);

  return (
    <div className="card members-import">
      <h2>Import members</h2>
      <form className="import-form" onSubmit={start}>
        <label>
          Member file (CSV or TSV)
          <input
            type="file"
            accept=".csv,.tsv,.tab,.txt,text/csv,text/tab-separated-values"
            disabled={running}
            onChange={(e) => pick(e.target.files?.[0])}
          />
        </label>
        {picked ? (
          <>
            <label>
              Key column
              <select value={key} disabled={running} onChange={(e) => setKey(e.target.value)}>
                <option value="">— choose the column with the members' ids —</option>
                {picked.columns.map((c) =>
                  c === '' ? null : (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ),
                )}
                <option value={lineKey}>{lineKey} — number members by line</option>
              </select>
            </label>
            <label>
              Delimiter
              <select
                value={tab ? 'tab' : 'comma'}
                disabled={running}
                onChange={(e) => setTab(e.target.value === 'tab')}
              >
                <option value="comma">comma (CSV)</option>
                <option value="tab">tab (TSV)</option>
              </select>
            </label>
            <div className="actions">
              <button type="submit" className="primary" disabled={running || !key}>
                Import {formatBytes(size)}
              </button>
              {running ? (
                <button type="button" onClick={() => upload.current?.abort()}>
                  Cancel
                </button>
              ) : null}
            </div>
          </>
        ) : null}
      </form>
      <p className="muted small-print">
        Upserts by the key column; <code>email</code> and <code>name</code> are member fields, every other
        column an attribute (type it in the header as <code>age:number</code>, or let the import infer it).
      </p>
      {running ? (
        <div className="import-progress" role="status" aria-label="Import progress">
          <progress max={size || 1} value={done} />
          <span>
            {formatBytes(Math.min(sent, size))} of {formatBytes(size)} sent
            {status ? (
              <>
                {' '}
                · the server has read {formatBytes(status.bytes)}: {status.rows.toLocaleString()} rows,{' '}
                {status.rejected.toLocaleString()} rejected
              </>
            ) : null}
          </span>
        </div>
      ) : null}
      <ErrorBox error={error} />
      {result ? <MembersImportResult result={result} fileName={picked?.file.name ?? 'members'} /> : null}
    </div>
  );
}
