import { useEffect, useRef, useState } from 'react';
import { ErrorBox } from '../components/error-box.tsx';
import { RunStatusTag } from './job-status.tsx';
import { isActive, jobsApi, type LogLine, type Run } from './jobs-api.ts';

const pollMs = 1_000;
const pageSize = 1000;
/** Lines kept on the page; earlier ones are in the download. */
export const shownLines = 5_000;
const empty = { lines: [], dropped: 0 };

function keepLast(shown: { lines: LogLine[]; dropped: number }, more: LogLine[]) {
  const all = [...shown.lines, ...more];
  const over = Math.max(0, all.length - shownLines);
  return { lines: over > 0 ? all.slice(over) : all, dropped: shown.dropped + over };
}

/**
 * A run's log, kept by enquete (secrets already masked). It first reads the last
 * {@link shownLines} lines in one request (`GET …/logs?tail=`, which also says how many came
 * before them). While the run is queued or running it then follows it: every second it asks for
 * the lines after the last one shown
 * (`GET …/logs?after=<seq>`) and the run's status, and stays scrolled to the bottom unless the
 * reader scrolled up. It shows the last {@link shownLines} lines; the whole log is a download
 * (`…/log.txt`).
 */
export function JobLog({
  job,
  runId,
  onRunChange,
}: {
  job: string;
  runId: string;
  onRunChange: (run: Run) => void;
}) {
  // The lines shown and how many earlier ones were let go, together so one update keeps them true.
  const [{ lines, dropped }, setShown] = useState<{ lines: LogLine[]; dropped: number }>(empty);
  const [run, setRun] = useState<Run | null>(null);
  const [error, setError] = useState<unknown>(null);
  const box = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  const changed = useRef(onRunChange);
  changed.current = onRunChange;

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let after = 0;
    let lastStatus = '';
    let first = true;
    const follow = async () => {
      for (;;) {
        const more = await jobsApi.logs(job, runId, after);
        if (stopped) return;
        if (more.length > 0) {
          after = more.at(-1)!.seq;
          setShown((shown) => keepLast(shown, more));
        }
        if (more.length < pageSize) return;
      }
    };
    setShown(empty);
    setRun(null);
    setError(null);
    const poll = async () => {
      try {
        // Status first: lines written before a run ends are all there once it has ended.
        const current = await jobsApi.run(job, runId);
        if (first) {
          // The end of the log in one read, however long it is; then the lines after it.
          const tail = await jobsApi.logTail(job, runId, shownLines);
          if (stopped) return;
          first = false;
          if (tail.logs.length > 0) after = tail.logs.at(-1)!.seq;
          setShown({ lines: tail.logs, dropped: tail.earlier });
        } else {
          await follow();
          if (stopped) return;
        }
        setRun(current);
        const key = `${current.status}/${current.attempt}`;
        if (key !== lastStatus) changed.current(current);
        lastStatus = key;
        setError(null);
        if (isActive(current)) timer = setTimeout(poll, pollMs);
      } catch (e) {
        if (stopped) return;
        setError(e);
        timer = setTimeout(poll, pollMs * 5);
      }
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [job, runId]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll after each batch of new lines
  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  return (
    <div className="card" data-log-run={runId}>
      <h2>
        Log of {runId} {run ? <RunStatusTag status={run.status} /> : null}
        {run && isActive(run) ? <span className="muted"> following…</span> : null}
      </h2>
      <ErrorBox error={error} />
      <p className="muted">
        {dropped > 0 ? `${dropped.toLocaleString()} earlier lines are not shown here. ` : null}
        <a href={jobsApi.logFile(job, runId)} download>
          Download the whole log
        </a>
      </p>
      <pre
        ref={box}
        className="source run-log"
        role="log"
        aria-label="run log"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {lines.length === 0 ? <span className="muted">no lines yet</span> : null}
        {lines.map((l) => (
          <div key={l.seq} className={`log-line log-${l.stream}`} data-stream={l.stream}>
            <span className="muted">{new Date(l.at).toLocaleTimeString()} </span>
            {l.text}
          </div>
        ))}
      </pre>
    </div>
  );
}
