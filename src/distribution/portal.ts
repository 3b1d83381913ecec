import { CompiledQuery } from 'kysely';
import type { Db } from '../db/index.ts';
import type { Clock } from '../kernel/index.ts';
import { type PortalAnswer, PortalCache, type PortalEntry, type PortalRow, rowJson } from './portal-cache.ts';
import { createPortalFeed, type PortalFeedTimes } from './portal-feed.ts';
import type { InvitationStatus, PortalSurvey } from './types.ts';

interface PortalSqlRow {
  wave_id: string;
  survey_id: string;
  title: string;
  token: string;
  status: InvitationStatus;
  invited_at: string;
  start_at: string;
  deadline: string | null;
  estimated_minutes: number | null;
}

/** The portal lists at most this many surveys. */
const maxListed = 100;

/**
 * A member's pending invitations as the cache keeps them, as one statement written once per
 * dialect: the member by external id (unique index), their pending invitations from one range of
 * the covering index `invitations_portal` (member_id, status, …; migration 0009), each joined to
 * its wave and survey by primary key; ready waves of published, open surveys, the member not opted
 * out. The start is left to the answer, so an entry holds the waves still to start; so is the
 * deadline, but waves already past it are left out (their rows cannot come back unless the wave
 * changes, which clears the cache). It reads `members` and `surveys` directly (read-only): this
 * is the hot path.
 */
function entrySql(placeholder: (n: number) => string): string {
  return `select i.wave_id, i.survey_id, s.title, i.token, i.status, i.invited_at, w.start_at, w.deadline, w.estimated_minutes
from members m
join invitations i on i.member_id = m.id
join waves w on w.id = i.wave_id
join surveys s on s.id = i.survey_id
where m.external_id = ${placeholder(1)} and m.opted_out_at is null
  and i.status in ('invited', 'sent', 'send_failed', 'opened', 'started')
  and w.status = 'ready' and (w.deadline is null or w.deadline > ${placeholder(2)})
  and s.closed = 0 and s.current_version is not null
order by i.invited_at desc, i.id desc`;
}

/** The open surveys of an entry at `now`: started, not past the deadline; newest first, at most 100. */
function openAt(entry: PortalEntry, now: string): PortalSurvey[] {
  const open: PortalSurvey[] = [];
  for (const r of entry.rows) {
    const w = r.wave;
    if (w.startAt > now || (w.deadline !== null && w.deadline <= now)) continue;
    // In the order of the JSON parts (openBytesAt), so that both answers are the same text.
    open.push({
      surveyId: w.surveyId,
      title: w.title,
      deadline: w.deadline,
      estimatedMinutes: w.estimatedMinutes,
      link: r.link,
      status: r.status,
      invitedAt: r.invitedAt,
    });
    if (open.length === maxListed) break;
  }
  return open;
}

/**
 * The same as `JSON.stringify({ surveys: openAt(entry, now) })` as UTF-8 bytes: the hot path's
 * answer. It is kept on the entry with the span of time it holds for (between the starts and
 * deadlines of the entry's rows around `now`), so that the answers of a member in that span are
 * one Buffer, made once; the text is made from each wave's part, kept once per wave.
 */
function openBytesAt(entry: PortalEntry, now: string): Buffer {
  const kept = entry.answer;
  if (kept && kept.from <= now && (kept.until === null || now < kept.until)) return kept.bytes;
  let json = '{"surveys":[';
  let listed = 0;
  let from = '';
  let until: string | null = null;
  const edge = (at: string) => {
    if (at <= now) {
      if (at > from) from = at;
    } else if (until === null || at < until) until = at;
  };
  for (const r of entry.rows) {
    const w = r.wave;
    edge(w.startAt);
    if (w.deadline !== null) edge(w.deadline);
    if (listed === maxListed || w.startAt > now || (w.deadline !== null && w.deadline <= now)) continue;
    json += (listed === 0 ? '' : ',') + w.json + rowJson(r);
    listed++;
  }
  json += ']}';
  // Its own memory, sized to fit: a slice of Buffer's shared pool would keep the whole 8 KB pool
  // alive for as long as the entry lives.
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(json));
  bytes.write(json);
  const answer: PortalAnswer = { from, until, bytes };
  entry.answer = answer;
  return bytes;
}

export interface PortalOptions {
  /** Members kept in the process's cache (default 100,000); 0 reads the database every time. */
  maxMembers?: number;
  /** How fresh the cache must be; see PortalFeedTimes. */
  times?: PortalFeedTimes;
}

/** The portal lookup; see {@link portalLookup}. */
export interface PortalLookup {
  (externalId: string): Promise<PortalSurvey[]>;
  /**
   * The same answer as the UTF-8 bytes of the JSON text `{"surveys":[…]}`, kept in the cache: at
   * once (no promise) for a member in the cache while the change feed is fresh.
   */
  json(externalId: string): Buffer | Promise<Buffer>;
  /** A write that may change the portal committed in this process: the next answer sees it. */
  touch(): void;
  /** Members in the cache now. */
  readonly cached: number;
}

/**
 * Builds the portal lookup for a database: "what is open for this member?", from an in-process
 * LRU cache of each member's pending invitations (with their waves' start and deadline, so that
 * time is applied at each answer from `clock`). The cache learns of writes from the change feed
 * `portal_changes` (migration 0012; see portal-feed.ts): no answer comes from a read of the feed
 * older than `times.boundMs` (1 s), and a write of this process that calls `touch()` afterwards
 * shows in the next answer.
 *
 * @example
 * const openSurveys = portalLookup({ db, clock, publicUrl });
 * await openSurveys('M-1024'); // → [{ surveyId, title, link, deadline, estimatedMinutes, … }]
 */
export function portalLookup(deps: {
  db: Db;
  clock: Clock;
  publicUrl: string;
  options?: PortalOptions;
  log?: { error(obj: object, msg: string): void };
}): PortalLookup {
  const { db, clock, publicUrl } = deps;
  const text = entrySql((n) => (db.dialect === 'postgres' ? `$${n}` : '?'));
  const maxMembers = deps.options?.maxMembers ?? 100_000;
  const load = async (externalId: string, now: string): Promise<PortalEntry> => {
    const result = await db.kysely.executeQuery<PortalSqlRow>(CompiledQuery.raw(text, [externalId, now]));
    const rows: PortalRow[] = result.rows.map((r) => ({
      wave: cache.wave(r.wave_id, {
        surveyId: r.survey_id,
        title: r.title,
        startAt: r.start_at,
        deadline: r.deadline,
        estimatedMinutes: r.estimated_minutes === null ? null : Number(r.estimated_minutes),
      }),
      link: `${publicUrl}/s/${encodeURIComponent(r.token)}?ch=portal`,
      status: r.status,
      invitedAt: r.invited_at,
    }));
    return { filledAt: now, rows };
  };
  const cache = new PortalCache({ max: Math.max(maxMembers, 1), load });
  const feed = createPortalFeed({
    db,
    clock,
    sink: cache,
    ...(deps.options?.times ? { times: deps.options.times } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  });

  type View<T> = (entry: PortalEntry, now: string) => T;
  const answerNow = <T>(externalId: string, view: View<T>): T | Promise<T> => {
    const now = clock.now().toISOString();
    const entry = cache.get(externalId, now);
    return entry instanceof Promise ? entry.then((loaded) => view(loaded, now)) : view(entry, now);
  };
  // A member in the cache with the feed fresh is answered in the caller's turn, with no promise:
  // the hot path. Otherwise the answer waits for the feed's read or the member's statement.
  const answer = <T>(externalId: string, view: View<T>): T | Promise<T> => {
    if (maxMembers === 0) {
      const now = clock.now().toISOString();
      return load(externalId, now).then((loaded) => view(loaded, now));
    }
    const wait = feed.ready();
    return wait ? wait.then(() => answerNow(externalId, view)) : answerNow(externalId, view);
  };
  const lookup = async (externalId: string): Promise<PortalSurvey[]> => answer(externalId, openAt);
  return Object.defineProperties(lookup, {
    json: { value: (externalId: string) => answer(externalId, openBytesAt) },
    touch: { value: () => feed.touch() },
    cached: { get: () => cache.size },
  }) as PortalLookup;
}
