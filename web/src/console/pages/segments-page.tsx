import { useEffect, useRef, useState } from 'react';
import { api, type Member } from '../api.ts';
import { Link, useSearch } from '../router.tsx';
import { useLoad } from '../use-load.ts';
import { membersPath } from './members-page.tsx';
import { SegmentsCatalogue } from './segments-catalogue.tsx';
import { SegmentProblem } from './segments-problem.tsx';

/** Quiet time after the last keystroke before the count is asked. */
const debounceMs = 300;
const sampleSize = 10;

type Preview =
  | { state: 'idle' }
  | { state: 'counted'; expression: string; count: number; sample: Member[] }
  | { state: 'failed'; expression: string; error: unknown };

/**
 * The segment editor: an expression, its member count as it is typed (with a sample of the
 * members), its mistakes with the column they are at, and the attribute catalogue beside it.
 * The expression is what a wave takes; the page keeps it in its address to share or come back to.
 */
export function SegmentsPage() {
  const initial = new URLSearchParams(useSearch()).get('expression') ?? '';
  const [expression, setExpression] = useState(initial);
  const [preview, setPreview] = useState<Preview>({ state: 'idle' });
  // The last answer stays in view (dimmed) while the next one is asked.
  const [busy, setBusy] = useState(false);
  const [catalogue] = useLoad(() => api.attributes(), []);
  const editor = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    const text = expression;
    if (text.trim() === '') {
      setPreview({ state: 'idle' });
      setBusy(false);
      return;
    }
    let current = true;
    setBusy(true);
    const timer = window.setTimeout(async () => {
      const url = new URL(window.location.href);
      url.searchParams.set('expression', text);
      window.history.replaceState(null, '', url);
      try {
        const [count, page] = await Promise.all([
          api.countSegment(text),
          api.members({ segment: text, limit: sampleSize }),
        ]);
        if (current) setPreview({ state: 'counted', expression: text, count, sample: page.members });
      } catch (error) {
        if (current) setPreview({ state: 'failed', expression: text, error });
      } finally {
        if (current) setBusy(false);
      }
    }, debounceMs);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [expression]);

  const insert = (text: string) => {
    const area = editor.current;
    const start = area?.selectionStart ?? expression.length;
    const end = area?.selectionEnd ?? expression.length;
    const before = expression.slice(0, start);
    const pad = before !== '' && !/[\s(]$/.test(before) ? ' ' : '';
    const next = `${before}${pad}${text}${expression.slice(end)}`;
    setExpression(next);
    const caret = start + pad.length + text.length;
    requestAnimationFrame(() => {
      area?.focus();
      area?.setSelectionRange(caret, caret);
    });
  };
  const locate = (column: number) => {
    editor.current?.focus();
    editor.current?.setSelectionRange(column - 1, column - 1);
  };

  return (
    <section>
      <header className="page-head">
        <div>
          <h1>Segments</h1>
          <p className="muted">Write who a wave goes to; the count follows as you type.</p>
        </div>
      </header>
      <div className="segments">
        <div>
          <div className="card">
            <label>
              Segment expression
              <textarea
                ref={editor}
                className="source-input segment-input"
                value={expression}
                spellCheck={false}
                rows={5}
                placeholder="specialty in ('cardiology', 'oncology') and age >= 40 and region = 'Kanto'"
                onChange={(e) => setExpression(e.target.value)}
              />
            </label>
            <div className={busy ? 'preview stale' : 'preview'} aria-busy={busy}>
              <SegmentPreview preview={preview} onLocate={locate} />
            </div>
          </div>
          {preview.state === 'counted' && preview.sample.length > 0 ? (
            <div className="card">
              <h2>
                First {preview.sample.length} of {preview.count.toLocaleString()}
              </h2>
              <ul className="sample" aria-label="Sample of members">
                {preview.sample.map((m) => (
                  <li key={m.id}>
                    <Link href={`/members/${encodeURIComponent(m.externalId)}`}>{m.externalId}</Link>
                    {m.name ? <span className="muted"> · {m.name}</span> : null}
                  </li>
                ))}
              </ul>
              <Link href={membersPath({ segment: preview.expression })}>Show them all in Members →</Link>
            </div>
          ) : null}
        </div>
        <SegmentsCatalogue catalogue={catalogue} onInsert={insert} />
      </div>
    </section>
  );
}

function SegmentPreview({ preview, onLocate }: { preview: Preview; onLocate: (column: number) => void }) {
  switch (preview.state) {
    case 'idle':
      return (
        <p className="muted segment-count">Type an expression, or click a name or value on the right.</p>
      );
    case 'counted':
      return (
        <p className="segment-count" role="status">
          <output aria-label="Members in the segment" data-count={preview.count}>
            {preview.count.toLocaleString()}
          </output>{' '}
          {preview.count === 1 ? 'member' : 'members'}
        </p>
      );
    case 'failed':
      return <SegmentProblem expression={preview.expression} error={preview.error} onLocate={onLocate} />;
  }
}
