import { type FormEvent, useState } from 'react';
import { ErrorBox } from '../components/error-box.tsx';

/**
 * A pause button that asks for a reason before pausing (the reason is shown beside the paused
 * job), or a resume button when paused.
 *
 * @example
 * <PauseControl label="all jobs" paused={allPaused} onPause={(r) => jobsApi.pauseAll(r)} onResume={jobsApi.resumeAll} onDone={reload} />
 */
export function PauseControl(props: {
  /** What is paused, for the button: `Pause all` / `Pause`. */
  pauseLabel: string;
  resumeLabel: string;
  paused: boolean;
  onPause: (reason: string) => Promise<void>;
  onResume: () => Promise<void>;
  onDone: () => void;
}) {
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      setAsking(false);
      setReason('');
      props.onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void act(() => props.onPause(reason.trim()));
  };

  if (props.paused) {
    return (
      <span>
        <button type="button" disabled={busy} onClick={() => act(props.onResume)}>
          {props.resumeLabel}
        </button>
        <ErrorBox error={error} />
      </span>
    );
  }
  if (!asking) {
    return (
      <button type="button" onClick={() => setAsking(true)}>
        {props.pauseLabel}
      </button>
    );
  }
  return (
    <form className="actions" onSubmit={submit}>
      <label>
        Reason
        <input
          // biome-ignore lint/a11y/noAutofocus: the field appears because the user asked to pause
          autoFocus
          maxLength={500}
          value={reason}
          placeholder="shown beside the paused jobs"
          onChange={(e) => setReason(e.target.value)}
        />
      </label>
      <button type="submit" className="primary" disabled={busy}>
        Confirm pause
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Keep running
      </button>
      <ErrorBox error={error} />
    </form>
  );
}
