import type { Member } from '../api.ts';
import { Time } from './members-page.tsx';

/** One line of a member's history. */
export interface HistoryEntry {
  at: string;
  what: string;
}

/**
 * What the panel itself knows of a member's past: when an import brought them, when an import
 * last changed them, and when they opted out. Invitations and their events (invited, sent,
 * opened, completed…) belong to the distribution hub; they join this list as further entries.
 */
export function panelTimeline(member: Member): HistoryEntry[] {
  const entries: HistoryEntry[] = [{ at: member.createdAt, what: 'added by an import' }];
  if (member.updatedAt !== member.createdAt)
    entries.push({ at: member.updatedAt, what: 'changed by an import' });
  if (member.optedOutAt) entries.push({ at: member.optedOutAt, what: 'opted out' });
  return entries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}

/** The member's history, latest first. */
export function MemberHistory({ member }: { member: Member }) {
  const entries = panelTimeline(member);
  return (
    <div className="card">
      <h2>History</h2>
      <table className="table history-table" aria-label="History">
        <thead>
          <tr>
            <th>When</th>
            <th>What</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={`${e.at} ${e.what}`}>
              <td>
                <Time iso={e.at} />
              </td>
              <td>{e.what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
