import { canonicalInstant } from '../kernel/index.ts';
import { distributionErrors } from './errors.ts';
import type { InvitationStatus } from './types.ts';

const unitMs = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** At most this many reminders per wave. */
export const maxReminders = 10;

/**
 * Reads reminder offsets such as `3d,7d` (units m, h, d, w) into ascending milliseconds after
 * the wave's start. An empty text means no reminders. Throws WAVE_INVALID naming the bad part.
 *
 * @example
 * parseReminders('3d, 7d'); // → [{ text: '3d', ms: 259200000 }, { text: '7d', ms: 604800000 }]
 */
export function parseReminders(text: string | undefined): { text: string; ms: number }[] {
  if (text === undefined || text.trim() === '') return [];
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length > maxReminders) {
    throw distributionErrors.waveInvalid(`at most ${maxReminders} reminders`, 'reminders');
  }
  const out = parts.map((part) => {
    const match = /^([1-9]\d{0,4})([mhdw])$/.exec(part);
    if (!match) {
      throw distributionErrors.waveInvalid(
        `${JSON.stringify(part)} is not an offset such as 3d (units m, h, d, w)`,
        'reminders',
      );
    }
    return { text: part, ms: Number(match[1]) * unitMs[match[2] as keyof typeof unitMs] };
  });
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.ms <= out[i - 1]!.ms) {
      throw distributionErrors.waveInvalid('offsets must grow, e.g. 3d,7d', 'reminders');
    }
  }
  return out;
}

/** An offset in milliseconds as the shortest text `parseReminders` reads back. */
export function formatOffset(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    if (ms % unitMs[unit] === 0) return `${ms / unitMs[unit]}${unit}`;
  }
  return `${Math.round(ms / 60_000)}m`;
}

/**
 * A wave's time (`startAt`, `deadline`) as canonical UTC text, read by the kernel's one strict
 * ISO 8601 parser (a real calendar day and clock time, a zone required; see kernel/instant.ts).
 * Throws WAVE_INVALID naming `field`.
 */
export function parseInstant(text: string, field: string): string {
  const instant = canonicalInstant(text);
  if (instant === null) {
    throw distributionErrors.waveInvalid(
      `${JSON.stringify(text)} is not an ISO 8601 instant with a real date, time and zone, such as 2026-04-01T09:00:00+09:00`,
      field,
    );
  }
  return instant;
}

/** Statuses in which a member has not finished: they may still be sent, reminded and listed. */
export const pendingStatuses: readonly InvitationStatus[] = [
  'invited',
  'sent',
  'send_failed',
  'opened',
  'started',
];

/**
 * Pending statuses a reminder may go to: the member was reached first (the first message, or an
 * earlier reminder, went out) and has not finished. Not `invited` (the first message is still
 * queued, e.g. without SMTP) nor `send_failed` (nothing ever got through): reminding them would
 * remind of a message they never had.
 */
export const remindableStatuses = [
  'sent',
  'opened',
  'started',
] as const satisfies readonly InvitationStatus[];

/** Final outcomes: nothing overwrites them. */
export const finalStatuses: readonly InvitationStatus[] = ['completed', 'screened_out', 'quota_full'];

/**
 * Status order: a change is applied only from a lower rank, so a late `opened` never replaces
 * `completed`. `send_failed` ranks below `sent`, so a failed reminder never hides an earlier
 * `sent` (reminders go only to invitations already reached, see {@link remindableStatuses}).
 */
const rank: Record<InvitationStatus, number> = {
  invited: 0,
  send_failed: 1,
  sent: 2,
  opened: 3,
  started: 4,
  completed: 5,
  screened_out: 5,
  quota_full: 5,
};

/** The statuses an invitation may move from into `to`. */
export function statusesBefore(to: InvitationStatus): InvitationStatus[] {
  return (Object.keys(rank) as InvitationStatus[]).filter((s) => rank[s] < rank[to]);
}
