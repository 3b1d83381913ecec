import { requestJson } from '../../shared/api-client.ts';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';

/** A run as GET /api/v1/jobs/:name/runs answers it (docs/batch.md). */
export interface Run {
  id: string;
  job: string;
  date: string;
  trigger: 'schedule' | 'manual' | 'api' | 'backfill';
  scheduledFor: string | null;
  status: RunStatus;
  attempt: number;
  maxAttempts: number;
  exitCode: number | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  nextAttemptAt: string | null;
  durationMs: number | null;
}

/** A job with its state, as GET /api/v1/jobs answers it. */
export interface Job {
  name: string;
  endpoint: string;
  description: string | null;
  schedule: string | null;
  scheduleText: string | null;
  timezone: string;
  runner: string;
  retryable: boolean;
  maxAttempts: number;
  timeoutMs: number | null;
  overlap: string;
  catchup: { policy: string; max: number };
  notify: string[];
  paused: boolean;
  pausedBy: 'job' | 'all' | null;
  pausedReason: string | null;
  pausedAt: string | null;
  nextRunAt: string | null;
  lastRun: Run | null;
}

export interface LogLine {
  seq: number;
  at: string;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
}

const job = (name: string) => `/api/v1/jobs/${encodeURIComponent(name)}`;
const run = (name: string, id: string) => `${job(name)}/runs/${encodeURIComponent(id)}`;

/** The console's calls to the batch API. */
export const jobsApi = {
  jobs: () => requestJson<{ jobs: Job[] }>('GET', '/api/v1/jobs').then((r) => r.jobs),
  job: (name: string) => requestJson<{ job: Job }>('GET', job(name)).then((r) => r.job),
  /** Reads jobs.yaml again in the serving process (admins). */
  reloadFile: () =>
    requestJson<{ source: string | null; jobs: string[] }>('POST', '/api/v1/jobs/reload', { body: {} }),
  pauseAll: (reason: string) => requestJson<void>('POST', '/api/v1/jobs/pause', { body: { reason } }),
  resumeAll: () => requestJson<void>('POST', '/api/v1/jobs/resume', { body: {} }),
  pause: (name: string, reason: string) =>
    requestJson<void>('POST', `${job(name)}/pause`, { body: { reason } }),
  resume: (name: string) => requestJson<void>('POST', `${job(name)}/resume`, { body: {} }),
  runs: (name: string) =>
    requestJson<{ runs: Run[] }>('GET', `${job(name)}/runs?limit=100`).then((r) => r.runs),
  run: (name: string, id: string) => requestJson<{ run: Run }>('GET', run(name, id)).then((r) => r.run),
  runNow: (name: string, date: string | undefined) =>
    requestJson<{ run: Run }>('POST', `${job(name)}/runs`, { body: date ? { date } : {} }).then((r) => r.run),
  backfill: (name: string, from: string, to: string) =>
    requestJson<{ runs: Run[] }>('POST', `${job(name)}/backfill`, { body: { from, to } }).then((r) => r.runs),
  cancel: (name: string, id: string) =>
    requestJson<{ run: Run }>('POST', `${run(name, id)}/cancel`, { body: {} }).then((r) => r.run),
  /** The whole log as a text file (a link: the session cookie authenticates it). */
  logFile: (name: string, id: string) => `${run(name, id)}/log.txt`,
  /** The last `lines` lines of a run's log and how many stored lines come before them. */
  logTail: (name: string, id: string, lines: number) =>
    requestJson<{ logs: LogLine[]; earlier: number }>('GET', `${run(name, id)}/logs?tail=${lines}`),
  logs: (name: string, id: string, after: number) =>
    requestJson<{ logs: LogLine[] }>('GET', `${run(name, id)}/logs?after=${after}&limit=1000`).then(
      (r) => r.logs,
    ),
};

/** Whether a run may still change (its log may grow). */
export function isActive(run: Run): boolean {
  return run.status === 'queued' || run.status === 'running';
}

/** `20260301` → `2026-03-01` (what a date input holds), and back. */
export function dashedDate(date: string): string {
  return `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
}

export function compactDate(value: string): string {
  return value.replaceAll('-', '');
}

/** A duration for people: `850 ms`, `12.4 s`, `3 min 05 s`, `2 h 10 min`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** An instant in the browser's locale. */
export function formatInstant(iso: string): string {
  return new Date(iso).toLocaleString();
}
