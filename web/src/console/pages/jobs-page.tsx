import { useEffect, useState } from 'react';
import { ErrorBox } from '../components/error-box.tsx';
import { Link } from '../router.tsx';
import { useLoad } from '../use-load.ts';
import { PauseControl } from './job-pause.tsx';
import { PauseState, RunStatusTag, ScheduleText } from './job-status.tsx';
import { formatInstant, jobsApi } from './jobs-api.ts';

/** How often the list refreshes itself (next and last runs move on their own). */
const refreshMs = 5_000;

/**
 * Every job of jobs.yaml on one page: endpoint, schedule in words and cron, time zone, next run,
 * last run and its status, paused or not (and why); "Pause all" / "Resume all", and per-job
 * pause and resume; for admins, "Reload jobs.yaml".
 */
export function JobsPage({ canReload }: { canReload: boolean }) {
  const [jobs, reload] = useLoad(() => jobsApi.jobs(), []);
  useEffect(() => {
    const timer = setInterval(reload, refreshMs);
    return () => clearInterval(timer);
  }, [reload]);

  const list = jobs.state === 'ready' ? jobs.value : [];
  const allPaused = list.length > 0 && list.every((j) => j.pausedBy === 'all');
  const allReason = allPaused ? list[0]!.pausedReason : null;

  return (
    <section>
      <header className="page-head">
        <h1>Jobs</h1>
        {canReload ? <ReloadButton onDone={reload} /> : null}
        {jobs.state === 'ready' && list.length > 0 ? (
          <PauseControl
            pauseLabel="Pause all"
            resumeLabel="Resume all"
            paused={allPaused}
            onPause={(reason) => jobsApi.pauseAll(reason)}
            onResume={() => jobsApi.resumeAll()}
            onDone={reload}
          />
        ) : null}
      </header>
      {allPaused ? (
        <p className="notice" role="status">
          Every job is paused{allReason ? `: ${allReason}` : ''}. Runs that fall due meanwhile follow each
          job's catch-up policy on resume.
        </p>
      ) : null}
      {jobs.state === 'loading' ? <p className="muted">Loading…</p> : null}
      {jobs.state === 'error' ? <ErrorBox error={jobs.error} /> : null}
      {jobs.state === 'ready' && list.length === 0 ? (
        <p className="muted">No jobs: set ENQUETE_JOBS or add ./jobs.yaml.</p>
      ) : null}
      {list.length > 0 ? (
        <table className="table jobs-table">
          <thead>
            <tr>
              <th>Job</th>
              <th>Endpoint</th>
              <th>Schedule</th>
              <th>Time zone</th>
              <th>Next run</th>
              <th>Last run</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((j) => (
              <tr key={j.name} data-job={j.name}>
                <td>
                  <Link href={`/jobs/${encodeURIComponent(j.name)}`}>{j.name}</Link>
                  {j.description ? <div className="muted">{j.description}</div> : null}
                </td>
                <td>
                  <code>POST /batch{j.endpoint}</code>
                </td>
                <td>
                  <ScheduleText job={j} />
                </td>
                <td>{j.timezone}</td>
                <td>{j.nextRunAt ? formatInstant(j.nextRunAt) : <span className="muted">—</span>}</td>
                <td>
                  {j.lastRun ? (
                    <>
                      {j.lastRun.date} <RunStatusTag status={j.lastRun.status} />
                    </>
                  ) : (
                    <span className="muted">never</span>
                  )}
                </td>
                <td>
                  <PauseState job={j} />
                </td>
                <td>
                  {j.pausedBy === 'all' ? null : (
                    <PauseControl
                      pauseLabel="Pause"
                      resumeLabel="Resume"
                      paused={j.pausedBy === 'job'}
                      onPause={(reason) => jobsApi.pause(j.name, reason)}
                      onResume={() => jobsApi.resume(j.name)}
                      onDone={reload}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

/** Reads jobs.yaml again; says how many jobs it found, or what is wrong with the file. */
function ReloadButton({ onDone }: { onDone: () => void }) {
  const [state, setState] = useState<
    { kind: 'idle' } | { kind: 'busy' } | { kind: 'done'; text: string } | { kind: 'error'; error: unknown }
  >({ kind: 'idle' });
  const click = async () => {
    setState({ kind: 'busy' });
    try {
      const result = await jobsApi.reloadFile();
      setState({
        kind: 'done',
        text: `Reloaded ${result.source ?? 'the built-in jobs'}: ${result.jobs.length} jobs.`,
      });
      onDone();
    } catch (error) {
      setState({ kind: 'error', error });
    }
  };
  return (
    <div className="reload-jobs">
      <button type="button" disabled={state.kind === 'busy'} onClick={click}>
        Reload jobs.yaml
      </button>
      {state.kind === 'done' ? (
        <span className="muted" role="status">
          {state.text}
        </span>
      ) : null}
      {state.kind === 'error' ? <ErrorBox error={state.error} /> : null}
    </div>
  );
}
