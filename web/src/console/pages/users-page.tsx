import { type FormEvent, useState } from 'react';
import { api, type Role, type User } from '../api.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { useLoad } from '../use-load.ts';

/** Admin only: the console's users, a form to add one, and the one-time password it gets. */
export function UsersPage({ me }: { me: User }) {
  const [users, reload] = useLoad(() => api.users(), []);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<{ email: string; password: string } | null>(null);

  const toggle = async (user: User) => {
    setError(null);
    try {
      await api.updateUser(user.id, { disabled: !user.disabled });
      reload();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section>
      <header className="page-head">
        <h1>Users</h1>
      </header>
      <ErrorBox error={error} />
      <div className="grid users-grid">
        <div className="card">
          {users.state === 'loading' ? <p className="muted">Loading…</p> : null}
          {users.state === 'error' ? <ErrorBox error={users.error} /> : null}
          {users.state === 'ready' ? (
            <table className="table">
              <thead>
                <tr>
                  <th>E-mail</th>
                  <th>Name</th>
                  <th>Role</th>
                  <th>Client</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {users.value.map((u) => (
                  <tr key={u.id}>
                    <td>{u.email}</td>
                    <td>{u.name ?? ''}</td>
                    <td>{u.role}</td>
                    <td>{u.client ?? ''}</td>
                    <td>
                      {u.disabled ? 'disabled' : 'active'}
                      {u.id !== me.id ? (
                        <button type="button" className="small" onClick={() => toggle(u)}>
                          {u.disabled ? 'Enable' : 'Disable'}
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </div>
        <div className="card">
          <h2>Add a user</h2>
          <AddUserForm
            onCreated={(email, password) => {
              setCreated({ email, password });
              reload();
            }}
          />
          {created ? (
            <div className="one-time" role="status">
              <p>
                Password for <strong>{created.email}</strong> (shown only now; pass it on safely):
              </p>
              <code className="password">{created.password}</code>
            </div>
          ) : null}
        </div>
      </div>
    </section>
  );
}

function AddUserForm({ onCreated }: { onCreated: (email: string, password: string) => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('researcher');
  const [client, setClient] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const input: { email: string; role: Role; name?: string; client?: string } = {
        email: email.trim(),
        role,
      };
      if (name.trim()) input.name = name.trim();
      if (client.trim()) input.client = client.trim();
      const result = await api.addUser(input);
      onCreated(result.user.email, result.password);
      setEmail('');
      setName('');
      setClient('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="stack" onSubmit={submit}>
      <label>
        E-mail
        <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <option value="researcher">researcher — all surveys, no users</option>
          <option value="client">client — read-only, one client's surveys</option>
          <option value="admin">admin — everything</option>
        </select>
      </label>
      <label>
        Client {role === 'client' ? '(required)' : '(optional)'}
        <input required={role === 'client'} value={client} onChange={(e) => setClient(e.target.value)} />
      </label>
      <ErrorBox error={error} />
      <button type="submit" className="primary" disabled={busy}>
        Add user
      </button>
    </form>
  );
}
