import type { Db } from '../db/index.ts';
import type { Clock } from '../kernel/index.ts';
import type { Member, PanelService } from '../panel/index.ts';
import { distributionErrors } from './errors.ts';
import { recordEvents } from './invitation-writes.ts';

export interface UnsubscribeDeps {
  db: Db;
  clock: Clock;
  panel: PanelService;
}

/** What the unsubscribe page shows: whose address, and whether it is already out. */
export interface UnsubscribeInfo {
  /** The member's name as the panel holds it (text a person wrote: escape it where shown). */
  name: string | null;
  /** The address with most of its local part hidden, e.g. `a•••@example.org`. */
  maskedEmail: string | null;
  optedOut: boolean;
}

/** Shows enough of an address for its owner to recognise it, not enough to harvest it. */
export function maskEmail(email: string | null): string | null {
  if (!email) return null;
  const at = email.lastIndexOf('@');
  if (at <= 0) return '•••';
  return `${email.slice(0, 1)}•••${email.slice(at)}`;
}

async function memberOfToken(
  deps: UnsubscribeDeps,
  token: string,
): Promise<{ invitationId: number; member: Member }> {
  const row = await deps.db.kysely
    .selectFrom('invitations')
    .select(['id', 'member_id'])
    .where('token', '=', token)
    .executeTakeFirst();
  if (!row) throw distributionErrors.invitationUnknown();
  const [member] = await deps.panel.membersByIds([row.member_id]);
  if (!member) throw distributionErrors.invitationUnknown();
  return { invitationId: Number(row.id), member };
}

export async function unsubscribeInfo(deps: UnsubscribeDeps, token: string): Promise<UnsubscribeInfo> {
  const { member } = await memberOfToken(deps, token);
  return { name: member.name, maskedEmail: maskEmail(member.email), optedOut: member.optedOutAt !== null };
}

/**
 * Opts the member of an invitation token out, forever, through the panel, and records
 * `opted_out` on that invitation the first time. Repeating it changes nothing.
 */
export async function unsubscribe(
  deps: UnsubscribeDeps,
  token: string,
  channel: string,
): Promise<{ alreadyOptedOut: boolean }> {
  const { invitationId, member } = await memberOfToken(deps, token);
  if (member.optedOutAt !== null) return { alreadyOptedOut: true };
  const now = deps.clock.now();
  const after = await deps.panel.optOut(member.externalId, now);
  // Two clicks at once: only the one whose time was stored records the event.
  if (after.optedOutAt !== now.toISOString()) return { alreadyOptedOut: true };
  await deps.db.kysely
    .transaction()
    .execute((trx) =>
      recordEvents(trx, [
        { invitationId, type: 'opted_out', channel, at: after.optedOutAt ?? now.toISOString() },
      ]),
    );
  return { alreadyOptedOut: false };
}
