import { type FormEvent, useState } from 'react';
import { ErrorBox } from '../components/error-box.tsx';
import { compactDate, jobsApi, type Run } from './jobs-api.ts';

function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

/** "Run now" for a date (the run gets it as DATE=YYYYMMDD); empty means today in the job's zone. */
export function RunNowForm({ job, onStarted }: { job: string; onStarted: (run: Run) => void }) {
  const [date, setDate] = useState('');
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => onStarted(await jobsApi.runNow(job, date ? compactDate(date) : undefined)));
  };
  return (
    <form className="stack" onSubmit={submit}>
      <h2>Run now</h2>
      <label>
        Date <span className="muted">(empty: today in the job's time zone)</span>
        <input type="date" value={date} onChange={(e) => setDate(e.target.value)} />
      </label>
      <ErrorBox error={action.error} />
      <button type="submit" className="primary" disabled={action.busy}>
        Run now
      </button>
    </form>
  );
}

/** One run per day from `from` to `to`, in order, one at a time. */
export function BackfillForm({ job, onStarted }: { job: string; onStarted: (runs: Run[]) => void }) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => onStarted(await jobsApi.backfill(job, compactDate(from), compactDate(to))));
  };
  return (
    <form className="stack" onSubmit={submit}>
      <h2>Backfill</h2>
      <label>
        From
        <input type="date" required value={from} onChange={(e) => setFrom(e.target.value)} />
      </label>
      <label>
        To
        <input type="date" required value={to} onChange={(e) => setTo(e.target.value)} />
      </label>
      <ErrorBox error={action.error} />
      <button type="submit" disabled={action.busy}>
        Backfill
      </button>
    </form>
  );
}
