import { useState } from 'react';
import { ErrorBox } from '../components/error-box.tsx';
import { Link } from '../router.tsx';
import { useLoad } from '../use-load.ts';
import { OutboxPreview } from './outbox-preview.tsx';
import {
  formatInstant,
  type OutboxMessage,
  type OutboxStatus,
  outboxStatuses,
  wavePath,
  wavesApi,
} from './waves-api.ts';
import { useEvery } from './waves-refresh.ts';

/**
 * Outbox messages by status (for the whole outbox or one wave), and whether they go out at all:
 * without SMTP they stay in the outbox.
 */
export function OutboxCounts({ waveId, refreshMs }: { waveId?: string; refreshMs: number }) {
  const [counts, reload] = useLoad(() => wavesApi.outboxCounts(waveId), [waveId]);
  useEvery(reload, refreshMs);
  if (counts.state === 'loading') return <p className="muted">Loading…</p>;
  if (counts.state === 'error') return <ErrorBox error={counts.error} />;
  const { counts: byStatus, sending } = counts.value;
  return (
    <>
      {sending ? null : (
        <p className="warning" role="status" data-sending="false">
          SMTP is not configured (SMTP_URL): messages are kept in the outbox and not sent.
        </p>
      )}
      <dl className="counts outbox-counts" aria-label="Messages by status">
        {outboxStatuses.map((s) => (
          <div key={s} className="count">
            <dt>{s}</dt>
            <dd data-outbox-status={s}>{(byStatus[s] ?? 0).toLocaleString()}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}

/**
 * A page of outbox messages, newest first (keyset pages: forward with `before`, back by popping),
 * refreshed every `refreshMs`; a message opens in a preview beneath.
 */
export function OutboxList({
  waveId,
  status,
  pageSize,
  refreshMs,
  showWave,
}: {
  waveId?: string;
  status?: OutboxStatus;
  pageSize: number;
  refreshMs: number;
  showWave: boolean;
}) {
  const query = `${waveId ?? ''}\n${status ?? ''}`;
  const [paging, setPaging] = useState<{ query: string; befores: number[] }>({ query, befores: [] });
  const trail = paging.query === query ? paging.befores : [];
  const setTrail = (change: (befores: number[]) => number[]) =>
    setPaging((p) => ({ query, befores: change(p.query === query ? p.befores : []) }));
  const before = trail.at(-1);
  const [page, reload] = useLoad(
    () =>
      wavesApi.outbox({
        ...(waveId ? { waveId } : {}),
        ...(status ? { status } : {}),
        limit: pageSize,
        ...(before !== undefined ? { before } : {}),
      }),
    [waveId, status, before, pageSize],
  );
  useEvery(reload, refreshMs);
  const [selected, setSelected] = useState<OutboxMessage | null>(null);
  // The preview follows the message's latest state as the page refreshes.
  const shown =
    selected && page.state === 'ready'
      ? (page.value.messages.find((m) => m.id === selected.id) ?? selected)
      : selected;

  if (page.state === 'loading') return <p className="muted">Loading…</p>;
  if (page.state === 'error') return <ErrorBox error={page.error} />;
  const { messages, next } = page.value;
  return (
    <>
      {messages.length === 0 ? (
        <p className="muted">{trail.length > 0 ? 'No more messages.' : 'No messages.'}</p>
      ) : (
        <table className="table outbox-table" aria-label="Outbox messages">
          <thead>
            <tr>
              <th className="num">#</th>
              <th>Queued</th>
              {showWave ? <th>Wave</th> : null}
              <th>Kind</th>
              <th>To</th>
              <th>Subject</th>
              <th>Status</th>
              <th className="num">Attempts</th>
              <th>Sent</th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m) => (
              <tr
                key={m.id}
                data-message={m.id}
                data-to={m.to}
                className={shown?.id === m.id ? 'selected' : undefined}
              >
                <td className="num">{m.id}</td>
                <td>{formatInstant(m.createdAt)}</td>
                {showWave ? (
                  <td>
                    <Link href={wavePath(m.waveId)}>{m.waveId}</Link>
                  </td>
                ) : null}
                <td>{m.kind}</td>
                <td>{m.to}</td>
                <td>
                  <button type="button" className="name-button subject-button" onClick={() => setSelected(m)}>
                    {m.subject || '(no subject)'}
                  </button>
                </td>
                <td>
                  <span className={`tag outbox-${m.status}`} data-status={m.status}>
                    {m.status}
                  </span>
                  {m.lastError ? <div className="muted small-print">{m.lastError}</div> : null}
                </td>
                <td className="num">{m.attempts}</td>
                <td>{m.sentAt ? formatInstant(m.sentAt) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="pager">
        <button type="button" disabled={trail.length === 0} onClick={() => setTrail((t) => t.slice(0, -1))}>
          ← Newer
        </button>
        <span className="muted">Page {trail.length + 1}</span>
        <button
          type="button"
          disabled={next === null}
          onClick={() => {
            if (next !== null) setTrail((t) => [...t, next]);
          }}
        >
          Older →
        </button>
      </div>
      {shown ? <OutboxPreview key={shown.id} message={shown} onClose={() => setSelected(null)} /> : null}
    </>
  );
}
