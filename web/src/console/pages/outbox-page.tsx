import { Link, navigate, useSearch } from '../router.tsx';
import { OutboxCounts, OutboxList } from './outbox-list.tsx';
import { type OutboxStatus, outboxStatuses, wavePath } from './waves-api.ts';

const refreshMs = 5_000;

/** The console path of the outbox, optionally narrowed to a status and a wave. */
export function outboxPath(query: { status?: string; wave?: string }): string {
  const params = new URLSearchParams();
  if (query.status) params.set('status', query.status);
  if (query.wave) params.set('wave', query.wave);
  const text = params.toString();
  return text ? `/outbox?${text}` : '/outbox';
}

/**
 * Every message the distribution hub queued (invitations and reminders), newest first: counts by
 * status, a status filter (`?status=`), one wave's messages (`?wave=`), pages, and a message's
 * text or HTML shown safely.
 */
export function OutboxPage() {
  const params = new URLSearchParams(useSearch());
  const wave = params.get('wave') ?? '';
  const raw = params.get('status') ?? '';
  const status = (outboxStatuses as string[]).includes(raw) ? (raw as OutboxStatus) : undefined;
  return (
    <section>
      <header className="page-head">
        <div>
          <h1>Outbox</h1>
          <p className="muted">
            Messages of the e-mail waves, newest first.
            {wave ? (
              <>
                {' '}
                Only wave <Link href={wavePath(wave)}>{wave}</Link> ·{' '}
                <Link href={outboxPath({ status: status ?? '' })}>all waves</Link>
              </>
            ) : null}
          </p>
        </div>
        <div className="actions">
          <Link href="/waves" className="button">
            Waves
          </Link>
        </div>
      </header>
      <div className="card">
        <OutboxCounts {...(wave ? { waveId: wave } : {})} refreshMs={refreshMs} />
        <div className="filters">
          <label>
            Status
            <select
              aria-label="Status"
              value={status ?? ''}
              onChange={(e) => navigate(outboxPath({ status: e.target.value, wave }), { replace: true })}
            >
              <option value="">any</option>
              {outboxStatuses.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      <OutboxList
        {...(wave ? { waveId: wave } : {})}
        {...(status ? { status } : {})}
        pageSize={50}
        refreshMs={refreshMs}
        showWave={!wave}
      />
    </section>
  );
}
