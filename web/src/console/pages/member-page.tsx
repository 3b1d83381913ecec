import { type AttributeType, api, type Member } from '../api.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { Link } from '../router.tsx';
import { useLoad } from '../use-load.ts';
import { MemberHistory } from './member-history.tsx';
import { Time } from './members-page.tsx';

/** One member: own fields, opt-out, typed attributes and history. */
export function MemberPage({ externalId }: { externalId: string }) {
  const [loaded] = useLoad(() => Promise.all([api.member(externalId), api.attributes(1)]), [externalId]);
  return (
    <section>
      <p>
        <Link href="/members">← Members</Link>
      </p>
      {loaded.state === 'loading' ? <p className="muted">Loading…</p> : null}
      {loaded.state === 'error' ? <ErrorBox error={loaded.error} /> : null}
      {loaded.state === 'ready' ? (
        <MemberView member={loaded.value[0]} types={new Map(loaded.value[1].map((a) => [a.key, a.type]))} />
      ) : null}
    </section>
  );
}

function AttributeValue({ value }: { value: number | string | string[] }) {
  if (Array.isArray(value)) {
    return (
      <span className="chips">
        {value.map((v) => (
          <span key={v} className="chip">
            {v}
          </span>
        ))}
      </span>
    );
  }
  return (
    <>{typeof value === 'number' ? value.toLocaleString(undefined, { maximumFractionDigits: 20 }) : value}</>
  );
}

function MemberView({ member, types }: { member: Member; types: ReadonlyMap<string, AttributeType> }) {
  const attributes = Object.entries(member.attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return (
    <>
      <header className="page-head">
        <div>
          <h1>{member.name ?? member.externalId}</h1>
          <p className="muted">
            <code>{member.externalId}</code>
            {member.optedOutAt ? <span className="tag tag-bad">opted out</span> : null}
          </p>
        </div>
      </header>
      <div className="grid member-grid">
        <div className="card">
          <h2>Member</h2>
          <dl className="fields" aria-label="Member fields">
            <dt>External id</dt>
            <dd data-field="externalId">{member.externalId}</dd>
            <dt>Name</dt>
            <dd data-field="name">{member.name ?? <span className="muted">—</span>}</dd>
            <dt>E-mail</dt>
            <dd data-field="email">{member.email ?? <span className="muted">—</span>}</dd>
            <dt>Invitations</dt>
            <dd data-field="optOut">
              {member.optedOutAt ? (
                <>
                  opted out on <Time iso={member.optedOutAt} /> — never invited again
                </>
              ) : (
                'receives invitations'
              )}
            </dd>
            <dt>First imported</dt>
            <dd>
              <Time iso={member.createdAt} />
            </dd>
            <dt>Last changed</dt>
            <dd>
              <Time iso={member.updatedAt} />
            </dd>
          </dl>
        </div>
        <div className="card">
          <h2>Attributes</h2>
          {attributes.length === 0 ? (
            <p className="muted">No attributes.</p>
          ) : (
            <table className="table attributes-table" aria-label="Attributes">
              <thead>
                <tr>
                  <th>Attribute</th>
                  <th>Type</th>
                  <th>Value</th>
                </tr>
              </thead>
              <tbody>
                {attributes.map(([key, value]) => (
                  <tr key={key} data-attribute={key}>
                    <td>
                      <code>{key}</code>
                    </td>
                    <td className="muted">{types.get(key) ?? ''}</td>
                    <td>
                      <AttributeValue value={value} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
      <MemberHistory member={member} />
    </>
  );
}
