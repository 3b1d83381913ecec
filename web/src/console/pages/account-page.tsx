import { type FormEvent, useState } from 'react';
import { api, type User } from '../api.ts';
import { ErrorBox } from '../components/error-box.tsx';

/** The signed-in user's own account: who they are, and a new password (the current one asked). */
export function AccountPage({ user }: { user: User }) {
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const mismatch = repeat !== '' && repeat !== password;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (mismatch) return;
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await api.changePassword(current, password);
      setCurrent('');
      setPassword('');
      setRepeat('');
      setDone(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <header className="page-head">
        <h1>Your account</h1>
      </header>
      <dl className="fields">
        <dt>E-mail</dt>
        <dd>{user.email}</dd>
        <dt>Role</dt>
        <dd>{user.client ? `${user.role} (${user.client})` : user.role}</dd>
      </dl>
      <form className="card account-form" onSubmit={submit}>
        <h2>Change your password</h2>
        <label>
          Current password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
        </label>
        <label>
          New password
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={10}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <label>
          Repeat the new password
          <input
            type="password"
            autoComplete="new-password"
            required
            value={repeat}
            aria-invalid={mismatch}
            onChange={(e) => setRepeat(e.target.value)}
          />
        </label>
        {mismatch ? <p className="field-error">The two new passwords differ.</p> : null}
        <button type="submit" className="primary" disabled={busy || mismatch}>
          Change password
        </button>
        {done ? (
          <p className="notice" role="status">
            Your password is changed. Your other sessions are signed out.
          </p>
        ) : null}
        <ErrorBox error={error} />
      </form>
    </section>
  );
}
