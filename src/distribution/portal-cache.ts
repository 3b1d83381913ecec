import { LRUCache } from 'lru-cache';
import type { PortalFeedSink } from './portal-feed.ts';
import type { InvitationStatus } from './types.ts';

/** What a member's open invitations share with everyone in their wave: kept once per wave. */
export interface PortalWave {
  surveyId: string;
  title: string;
  startAt: string;
  deadline: string | null;
  estimatedMinutes: number | null;
  /** The start of each answer's JSON object: `{"surveyId":…,"title":…,"deadline":…,"estimatedMinutes":…`. */
  json: string;
}

/** One pending invitation of a member, newest first in an entry. */
export interface PortalRow {
  wave: PortalWave;
  link: string;
  status: InvitationStatus;
  invitedAt: string;
}

/** The wave's part of an answer's JSON object (see {@link PortalWave.json}). */
export function waveJson(w: Omit<PortalWave, 'json'>): string {
  return `{"surveyId":${JSON.stringify(w.surveyId)},"title":${JSON.stringify(w.title)},"deadline":${JSON.stringify(w.deadline)},"estimatedMinutes":${JSON.stringify(w.estimatedMinutes)}`;
}

/** The rest of an answer's JSON object after the wave's part: `,"link":…,"status":…,"invitedAt":…}`. */
export function rowJson(r: PortalRow): string {
  return `,"link":${JSON.stringify(r.link)},"status":${JSON.stringify(r.status)},"invitedAt":${JSON.stringify(r.invitedAt)}}`;
}

/** A member's pending invitations whose deadline had not passed at `filledAt` (ISO instant). */
export interface PortalEntry {
  filledAt: string;
  rows: readonly PortalRow[];
  /** The last answer made from the rows, kept with the span of time it holds for. */
  answer?: PortalAnswer;
}

/**
 * An answer's UTF-8 JSON bytes, the same for every instant from `from` (inclusive; `''` for
 * "always before") to `until` (exclusive; `null` for "ever after"): no start or deadline of the
 * entry's rows falls between them.
 */
export interface PortalAnswer {
  from: string;
  until: string | null;
  bytes: Buffer;
}

interface Fill {
  stale: boolean;
  promise: Promise<PortalEntry>;
}

/**
 * The portal's per-process cache: member external id → entry, least recently used first out,
 * unknown members and members with nothing open included (as empty entries), so random ids cannot
 * walk past it. A fill that was running when its member (or everything) was invalidated is
 * answered but not kept: it may have read the database before the write.
 *
 * @example
 * const cache = new PortalCache({ max: 100_000, load: (id) => readEntry(id) });
 * const entry = await cache.get('M-1024', nowIso);
 */
export class PortalCache implements PortalFeedSink {
  readonly #entries: LRUCache<string, PortalEntry>;
  readonly #fills = new Map<string, Fill>();
  readonly #waves = new Map<string, PortalWave>();
  readonly #load: (externalId: string, now: string) => Promise<PortalEntry>;

  constructor(props: { max: number; load: (externalId: string, now: string) => Promise<PortalEntry> }) {
    this.#entries = new LRUCache({ max: props.max });
    this.#load = props.load;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The entry of a member filled at or before `now`; loaded (once for concurrent askers) when absent. */
  get(externalId: string, now: string): PortalEntry | Promise<PortalEntry> {
    const entry = this.#entries.get(externalId);
    // An entry from the clock's future (a test clock set back) may lack rows whose deadline was
    // still to come at `now`.
    if (entry && entry.filledAt <= now) return entry;
    const running = this.#fills.get(externalId);
    if (running && !running.stale) return running.promise;
    const fill: Fill = { stale: false, promise: this.#load(externalId, now) };
    this.#fills.set(externalId, fill);
    fill.promise.then(
      (loaded) => {
        if (this.#fills.get(externalId) === fill) this.#fills.delete(externalId);
        if (!fill.stale) this.#entries.set(externalId, loaded);
      },
      () => {
        if (this.#fills.get(externalId) === fill) this.#fills.delete(externalId);
      },
    );
    return fill.promise;
  }

  /** The one object for a wave's shared fields, so that members of a wave share it. */
  wave(waveId: string, fields: Omit<PortalWave, 'json'>): PortalWave {
    const known = this.#waves.get(waveId);
    if (
      known &&
      known.title === fields.title &&
      known.startAt === fields.startAt &&
      known.deadline === fields.deadline &&
      known.estimatedMinutes === fields.estimatedMinutes &&
      known.surveyId === fields.surveyId
    )
      return known;
    const wave = { ...fields, json: waveJson(fields) };
    this.#waves.set(waveId, wave);
    return wave;
  }

  invalidate(members: readonly string[]): void {
    for (const member of members) {
      this.#entries.delete(member);
      const fill = this.#fills.get(member);
      if (fill) fill.stale = true;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#waves.clear();
    for (const fill of this.#fills.values()) fill.stale = true;
  }
}
