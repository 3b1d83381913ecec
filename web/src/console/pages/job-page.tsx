import { type ReactNode, useEffect, useState } from 'react';
import { ErrorBox } from '../components/error-box.tsx';
import { Link, navigate, useSearch } from '../router.tsx';
import { useLoad } from '../use-load.ts';
import { BackfillForm, RunNowForm } from './job-forms.tsx';
import { JobLog } from './job-log.tsx';
import { PauseControl } from './job-pause.tsx';
import { Attempts, PauseState, RunStatusTag, ScheduleText } from './job-status.tsx';
import { formatInstant, formatMs, isActive, type Job, jobsApi, type Run } from './jobs-api.ts';

/**
 * One job: what it is, its runs (status, trigger, date, attempts, exit code, duration), run now
 * with a date, backfill a range, cancel a running run, pause and resume it, and the log of the
 * run chosen (`?run=<id>`, the link notifications carry), followed while it runs.
 */
export function JobPage({ name }: { name: string }) {
  const [job, reloadJob] = useLoad(() => jobsApi.job(name), [name]);
  const [runs, reloadRuns] = useLoad(() => jobsApi.runs(name), [name]);
  const selected = new URLSearchParams(useSearch()).get('run');
  const [error, setError] = useState<unknown>(null);
  const reload = () => {
    reloadJob();
    reloadRuns();
  };
  const list = runs.state === 'ready' ? runs.value : [];
  const anyActive = list.some(isActive);

  useEffect(() => {
    const timer = setInterval(
      () => {
        reloadJob();
        reloadRuns();
      },
      anyActive ? 2_000 : 10_000,
    );
    return () => clearInterval(timer);
  }, [anyActive, reloadJob, reloadRuns]);

  const show = (runId: string) =>
    navigate(`/jobs/${encodeURIComponent(name)}?run=${encodeURIComponent(runId)}`, { replace: true });

  const cancel = async (run: Run) => {
    setError(null);
    try {
      await jobsApi.cancel(name, run.id);
      reload();
    } catch (e) {
      setError(e);
    }
  };

  if (job.state === 'loading') return <p className="muted">Loading…</p>;
  if (job.state === 'error') {
    return (
      <section>
        <ErrorBox error={job.error} />
        <Link href="/jobs">All jobs</Link>
      </section>
    );
  }
  const j = job.value;
  return (
    <section>
      <header className="page-head">
        <h1>{j.name}</h1>
        {j.pausedBy === 'all' ? null : (
          <PauseControl
            pauseLabel="Pause"
            resumeLabel="Resume"
            paused={j.pausedBy === 'job'}
            onPause={(reason) => jobsApi.pause(name, reason)}
            onResume={() => jobsApi.resume(name)}
            onDone={reload}
          />
        )}
      </header>
      <p>
        <Link href="/jobs">All jobs</Link>
        {j.description ? <span className="muted"> · {j.description}</span> : null}
      </p>
      <div className="grid">
        <div className="card">
          <JobFacts job={j} />
        </div>
        <div className="card">
          <RunNowForm
            job={name}
            onStarted={(run) => {
              reload();
              show(run.id);
            }}
          />
        </div>
        <div className="card">
          <BackfillForm
            job={name}
            onStarted={(started) => {
              reload();
              if (started[0]) show(started[0].id);
            }}
          />
        </div>
      </div>
      <ErrorBox error={error} />
      {selected ? <JobLog key={selected} job={name} runId={selected} onRunChange={reload} /> : null}
      <div className="card">
        <h2>Runs</h2>
        {runs.state === 'error' ? <ErrorBox error={runs.error} /> : null}
        {runs.state === 'ready' && list.length === 0 ? <p className="muted">No runs yet.</p> : null}
        {list.length > 0 ? (
          <table className="table runs-table">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Trigger</th>
                <th>Date</th>
                <th className="num">Attempts</th>
                <th className="num">Exit code</th>
                <th className="num">Duration</th>
                <th>Started</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id} data-run={r.id} className={r.id === selected ? 'selected' : undefined}>
                  <td>
                    <Link href={`/jobs/${encodeURIComponent(name)}?run=${encodeURIComponent(r.id)}`}>
                      {r.id}
                    </Link>
                  </td>
                  <td>
                    <RunStatusTag status={r.status} />
                    {r.error && r.status !== 'succeeded' ? <div className="muted">{r.error}</div> : null}
                  </td>
                  <td>{r.trigger}</td>
                  <td>{r.date}</td>
                  <td className="num">
                    <Attempts run={r} />
                  </td>
                  <td className="num">{r.exitCode ?? ''}</td>
                  <td className="num">{r.durationMs === null ? '' : formatMs(r.durationMs)}</td>
                  <td>{r.startedAt ? formatInstant(r.startedAt) : ''}</td>
                  <td>
                    {isActive(r) ? (
                      <button type="button" className="small" onClick={() => cancel(r)}>
                        Cancel
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
    </section>
  );
}

function JobFacts({ job: j }: { job: Job }) {
  const rows: [string, ReactNode][] = [
    ['Endpoint', <code key="e">POST /batch{j.endpoint}</code>],
    ['Schedule', <ScheduleText key="s" job={j} />],
    ['Time zone', j.timezone],
    ['Next run', j.nextRunAt ? formatInstant(j.nextRunAt) : '—'],
    ['Runner', j.runner],
    ['Retries', j.retryable ? `${j.maxAttempts} attempts` : 'none'],
    ['Timeout', j.timeoutMs === null ? 'none' : formatMs(j.timeoutMs)],
    ['Overlap', j.overlap],
    ['Catch-up', `${j.catchup.policy} (max ${j.catchup.max})`],
    ['Notify', j.notify.length > 0 ? j.notify.join(', ') : 'nobody'],
    ['State', <PauseState key="p" job={j} />],
  ];
  return (
    <dl className="job-facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
