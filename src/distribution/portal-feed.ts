import { CompiledQuery } from 'kysely';
import type { Db } from '../db/index.ts';
import type { Clock } from '../kernel/index.ts';

/** What the feed tells the cache. */
export interface PortalFeedSink {
  /** These members' answers may have changed. */
  invalidate(members: readonly string[]): void;
  /** Anything may have changed (a wave or survey changed, or the feed cannot tell). */
  clear(): void;
}

export interface PortalFeedTimes {
  /** A read older than this starts a poll in the background (default 250 ms). */
  refreshMs?: number;
  /** No answer is given from a read older than this: the request waits for a poll (default 1 s). */
  boundMs?: number;
  /** Rows are pruned once this old; a process that has not read for half of it starts over (default 10 min). */
  retentionMs?: number;
}

/** At most this many rows a poll; more, and the cache is cleared instead. */
const maxRows = 10_000;

interface Position {
  /** The highest `seq` read. */
  seq: number;
  /** PostgreSQL: transactions running when last read, whose rows may still appear below `seq`. */
  running: string[];
}

/**
 * The reader of `portal_changes` (migration 0012) for one process's portal cache. Staleness is
 * bounded where it is decided, at the answer: {@link PortalFeed.ready} says whether the cache may
 * answer now, or hands a poll to wait for. A poll is due when the last one began more than
 * `refreshMs` ago (it then runs beside the answers) and is waited for past `boundMs`, or after
 * {@link PortalFeed.touch} (a write committed in this process). No timer: an idle process reads
 * nothing, and its first answer after a pause waits for a poll.
 *
 * @example
 * const feed = createPortalFeed({ db, clock, sink: cache });
 * const wait = feed.ready();
 * if (wait) await wait;
 */
export interface PortalFeed {
  /** Null when the cache may answer now; else the poll to wait for (it rejects when the read fails). */
  ready(): Promise<void> | null;
  /** A write that may change the portal committed in this process: the next answer waits for a poll. */
  touch(): void;
}

export function createPortalFeed(props: {
  db: Db;
  clock: Clock;
  sink: PortalFeedSink;
  times?: PortalFeedTimes;
  log?: { error(obj: object, msg: string): void };
}): PortalFeed {
  const { db, clock, sink } = props;
  const refreshMs = props.times?.refreshMs ?? 250;
  const boundMs = props.times?.boundMs ?? 1000;
  const retentionMs = props.times?.retentionMs ?? 600_000;
  const read = db.dialect === 'postgres' ? readPostgres : readSqlite;
  const start = db.dialect === 'postgres' ? startPostgres : startSqlite;
  let position: Position | null = null;
  /** Clock time at which the last successful poll began: the cache knows every write committed before it. */
  let freshAt = Number.NEGATIVE_INFINITY;
  let touches = 0;
  let polledTouches = 0;
  let inflight: Promise<void> | null = null;
  let pruneMark: { at: number; seq: number } | null = null;

  const query = async <R>(text: string, params: unknown[]) =>
    (await db.kysely.executeQuery<R>(CompiledQuery.raw(text, params))).rows;

  async function readSqlite(from: Position) {
    const rows = await query<{ seq: number; member: string | null }>(
      'select seq, member from portal_changes where seq > ? order by seq limit ?',
      [from.seq, maxRows + 1],
    );
    const last = rows.at(-1);
    return { rows, next: { seq: last ? Number(last.seq) : from.seq, running: [] } };
  }

  async function readPostgres(from: Position) {
    // The snapshot's running transactions, read in the same statement as the rows it shows.
    const rows = await query<{ snap: string; seq: string | null; member: string | null }>(
      `select s.snap, c.seq, c.member
      from (select pg_current_snapshot()::text as snap) s
      left join lateral (
        select seq, member from portal_changes
        where seq > $1 or xid = any($2::xid8[]) order by seq limit $3
      ) c on true`,
      [from.seq, from.running, maxRows + 1],
    );
    const changes = rows.filter((r) => r.seq !== null);
    const seq = changes.reduce((max, r) => Math.max(max, Number(r.seq)), from.seq);
    return { rows: changes, next: { seq, running: runningOf(rows[0]!.snap) } };
  }

  async function startSqlite(): Promise<Position> {
    const [row] = await query<{ seq: number | null }>('select max(seq) as seq from portal_changes', []);
    return { seq: Number(row?.seq ?? 0), running: [] };
  }

  async function startPostgres(): Promise<Position> {
    const [row] = await query<{ snap: string; seq: string | null }>(
      'select pg_current_snapshot()::text as snap, max(seq) as seq from portal_changes',
      [],
    );
    return { seq: Number(row?.seq ?? 0), running: runningOf(row!.snap) };
  }

  async function prune(now: number) {
    if (!pruneMark) {
      pruneMark = { at: now, seq: position!.seq };
      return;
    }
    if (now - pruneMark.at < retentionMs) return;
    const upTo = pruneMark.seq;
    pruneMark = { at: now, seq: position!.seq };
    await query(`delete from portal_changes where seq <= ${db.dialect === 'postgres' ? '$1' : '?'}`, [upTo]);
  }

  async function poll(): Promise<void> {
    const began = clock.now().getTime();
    const touched = touches;
    // After a pause the rows since may be pruned: start from here and forget everything.
    if (position === null || began - freshAt > retentionMs / 2 || began < freshAt) {
      position = await start();
      sink.clear();
    } else {
      const { rows, next } = await read(position);
      if (rows.length > maxRows) {
        position = await start();
        sink.clear();
      } else {
        position = next;
        if (rows.some((r) => r.member === null)) sink.clear();
        else if (rows.length > 0) sink.invalidate(rows.map((r) => r.member as string));
      }
    }
    // Polls run one at a time, so `began` only goes back when the clock does.
    freshAt = began;
    polledTouches = Math.max(polledTouches, touched);
    await prune(began);
  }

  function run(): Promise<void> {
    inflight ??= poll().finally(() => {
      inflight = null;
    });
    return inflight;
  }

  const fresh = (now: number) => polledTouches === touches && now >= freshAt && now - freshAt <= boundMs;

  async function waitFresh(): Promise<void> {
    const asked = clock.now().getTime();
    const wanted = touches;
    // A poll already running may have begun before the touch or too long ago: then one more.
    const done = () =>
      polledTouches >= wanted && freshAt >= asked - boundMs && freshAt <= clock.now().getTime();
    while (!done()) await run();
  }

  return {
    ready() {
      const now = clock.now().getTime();
      if (!fresh(now)) return waitFresh();
      if (now - freshAt > refreshMs && !inflight) {
        run().catch((error: unknown) => props.log?.error({ err: error }, 'portal change feed read failed'));
      }
      return null;
    },
    touch() {
      touches++;
    },
  };
}

/** The running transactions of a `pg_current_snapshot()` text, `xmin:xmax:xip,…`. */
function runningOf(snapshot: string): string[] {
  const xip = snapshot.split(':')[2] ?? '';
  return xip === '' ? [] : xip.split(',');
}
