import { type FormEvent, useEffect, useState } from 'react';
import { api } from '../api.ts';
import { Link, navigate, useSearch } from '../router.tsx';
import { useLoad } from '../use-load.ts';
import { MembersImport } from './members-import.tsx';
import { SegmentProblem } from './segments-problem.tsx';

const pageSize = 50;

/** An instant as the browser's locale writes it, the exact ISO text in its tooltip. */
export function Time({ iso }: { iso: string }) {
  return <time dateTime={iso}>{new Date(iso).toLocaleString()}</time>;
}

/** The console path of the members list for a search and a segment. */
export function membersPath(query: { q?: string; segment?: string }): string {
  const params = new URLSearchParams();
  if (query.q?.trim()) params.set('q', query.q.trim());
  if (query.segment?.trim()) params.set('segment', query.segment.trim());
  const text = params.toString();
  return text ? `/members?${text}` : '/members';
}

/**
 * The panel's members: search by external id, name or e-mail, narrow by a segment, page through
 * them in external-id order with the number that match, and import a member file.
 */
export function MembersPage() {
  const params = new URLSearchParams(useSearch());
  const q = params.get('q') ?? '';
  const segment = params.get('segment') ?? '';
  const [draftQ, setDraftQ] = useState(q);
  const [draftSegment, setDraftSegment] = useState(segment);
  // `after` of each page shown so far for this query: keyset paging goes forward; going back pops.
  const query = `${q}\n${segment}`;
  const [paging, setPaging] = useState<{ query: string; afters: string[] }>({ query, afters: [] });
  const trail = paging.query === query ? paging.afters : [];
  const setTrail = (change: (afters: string[]) => string[]) =>
    setPaging((p) => ({ query, afters: change(p.query === query ? p.afters : []) }));
  const [round, setRound] = useState(0);
  const [total, setTotal] = useState<number | null>(null);
  const [importing, setImporting] = useState(false);

  useEffect(() => {
    setDraftQ(q);
    setDraftSegment(segment);
  }, [q, segment]);

  const after = trail.at(-1);
  const [page] = useLoad(
    () => api.members({ q, segment, limit: pageSize, ...(after ? { after } : { total: true }) }),
    [q, segment, after, round],
  );
  useEffect(() => {
    if (page.state === 'ready' && page.value.total !== undefined) setTotal(page.value.total);
    if (page.state === 'error') setTotal(null);
  }, [page]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate(membersPath({ q: draftQ, segment: draftSegment }));
  };
  const filtered = q !== '' || segment !== '';

  return (
    <section>
      <header className="page-head">
        <div>
          <h1>Members</h1>
          <p className="muted" aria-live="polite">
            {total === null ? (
              '\u00a0'
            ) : (
              <span data-total={total}>
                {total.toLocaleString()} {total === 1 ? 'member' : 'members'}
                {filtered ? ' match' : ' in the panel'}
              </span>
            )}
          </p>
        </div>
        <div className="actions">
          <Link href="/segments" className="button">
            Segments
          </Link>
          <button type="button" className="primary" onClick={() => setImporting((v) => !v)}>
            {importing ? 'Close import' : 'Import members'}
          </button>
        </div>
      </header>
      {importing ? (
        <MembersImport
          onImported={() => {
            setTrail(() => []);
            setRound((r) => r + 1);
          }}
        />
      ) : null}
      <form className="card filters" onSubmit={apply} aria-label="Filter members">
        <label>
          Search
          <input
            type="search"
            value={draftQ}
            placeholder="external id, name or e-mail"
            onChange={(e) => setDraftQ(e.target.value)}
          />
        </label>
        <label className="grow">
          Segment
          <input
            value={draftSegment}
            placeholder="e.g. region = 'Kanto' and age >= 40"
            spellCheck={false}
            onChange={(e) => setDraftSegment(e.target.value)}
          />
        </label>
        <div className="actions">
          <button type="submit" className="primary">
            Apply
          </button>
          {filtered ? (
            <Link href="/members" className="button">
              Clear
            </Link>
          ) : null}
        </div>
        {segment ? <p className="muted small-print">Opted-out members never match a segment.</p> : null}
      </form>
      {page.state === 'loading' ? <p className="muted">Loading…</p> : null}
      {page.state === 'error' ? <SegmentProblem expression={segment} error={page.error} /> : null}
      {page.state === 'ready' ? (
        <>
          {page.value.members.length === 0 ? (
            <p className="muted">{filtered ? 'No member matches.' : 'No members yet: import a file.'}</p>
          ) : (
            <table className="table members-table">
              <thead>
                <tr>
                  <th>External id</th>
                  <th>Name</th>
                  <th>E-mail</th>
                  <th>Status</th>
                  <th>Last changed</th>
                </tr>
              </thead>
              <tbody>
                {page.value.members.map((m) => (
                  <tr key={m.id} data-member={m.externalId}>
                    <td>
                      <Link href={`/members/${encodeURIComponent(m.externalId)}`}>{m.externalId}</Link>
                    </td>
                    <td>{m.name ?? ''}</td>
                    <td>{m.email ?? ''}</td>
                    <td>{m.optedOutAt ? <span className="tag tag-bad">opted out</span> : 'active'}</td>
                    <td>
                      <Time iso={m.updatedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="pager">
            <button
              type="button"
              disabled={trail.length === 0}
              onClick={() => setTrail((t) => t.slice(0, -1))}
            >
              ← Previous
            </button>
            <span className="muted">Page {trail.length + 1}</span>
            <button
              type="button"
              disabled={page.value.next === null}
              onClick={() => {
                const next = page.value.next;
                if (next !== null) setTrail((t) => [...t, next]);
              }}
            >
              Next →
            </button>
          </div>
        </>
      ) : null}
    </section>
  );
}
