import { type Clock, isEnqueteError } from '../kernel/index.ts';
import { panelErrors } from './errors.ts';
import type { ImportProgress, ImportResult, ImportStatus } from './types.ts';

/** What a running import reports through; see {@link ImportTracker.begin}. */
export interface TrackedImport {
  progress(progress: ImportProgress): void;
  finish(result: ImportResult): void;
  fail(error: unknown): void;
}

interface Entry {
  owner: string;
  status: ImportStatus;
  /** Clock time (ms) after which a finished entry is forgotten. */
  expires: number;
}

/** The token a caller picks for an import: 128 bits or more, base64url. */
export const importTokenPattern = /^[A-Za-z0-9_-]{22,64}$/;

/**
 * The progress of imports running in this process, readable by whoever started them while they
 * run and for a while after (15 minutes by default), so a browser that uploads a file can poll
 * how many rows the server has read. It is memory of one process: behind several `--role web`
 * replicas the poll must reach the replica that holds the upload (sticky sessions), or the
 * console falls back to the bytes its upload sent.
 *
 * @example
 * const tracker = new ImportTracker({ clock });
 * const tracked = tracker.begin(token, 'user:us_1');
 * tracked.progress({ bytes: 4096, rows: 2000, inserted: 2000, updated: 0, unchanged: 0, rejected: 0 });
 * tracker.status(token, 'user:us_1'); // → { state: 'running', rows: 2000, … }
 */
export class ImportTracker {
  readonly #clock: Clock;
  readonly #keepMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry>();

  constructor(props: { clock: Clock; keepMs?: number; maxEntries?: number }) {
    this.#clock = props.clock;
    this.#keepMs = props.keepMs ?? 15 * 60_000;
    this.#maxEntries = props.maxEntries ?? 1000;
  }

  /** Starts tracking under `token`; MEMBERS_IMPORT_TOKEN_TAKEN when the token names another import. */
  begin(token: string, owner: string): TrackedImport {
    if (!importTokenPattern.test(token)) {
      throw panelErrors.importTokenInvalid();
    }
    this.#prune();
    if (this.#entries.has(token)) throw panelErrors.importTokenTaken();
    this.#makeRoom();
    const entry: Entry = {
      owner,
      expires: Number.POSITIVE_INFINITY,
      status: {
        state: 'running',
        bytes: 0,
        rows: 0,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        startedAt: this.#clock.now().toISOString(),
        finishedAt: null,
        error: null,
      },
    };
    this.#entries.set(token, entry);
    const end = (patch: Partial<ImportStatus>) => {
      const now = this.#clock.now();
      entry.status = { ...entry.status, ...patch, finishedAt: now.toISOString() };
      entry.expires = now.getTime() + this.#keepMs;
    };
    return {
      progress: (p) => {
        if (entry.status.state === 'running') entry.status = { ...entry.status, ...p };
      },
      finish: (result) =>
        end({
          state: 'done',
          inserted: result.inserted,
          updated: result.updated,
          unchanged: result.unchanged,
          rejected: result.rejected.length,
        }),
      fail: (error) =>
        end({
          state: 'failed',
          error: isEnqueteError(error)
            ? { code: error.code, message: error.message }
            : { code: 'INTERNAL', message: 'the import failed; see the server log' },
        }),
    };
  }

  /** The import's status for the one who started it; MEMBERS_IMPORT_NOT_FOUND for anyone else. */
  status(token: string, owner: string): ImportStatus {
    this.#prune();
    const entry = this.#entries.get(token);
    // Another owner's import answers as if it did not exist: tokens are not to be probed.
    if (!entry || entry.owner !== owner) throw panelErrors.importNotFound();
    return { ...entry.status };
  }

  #prune(): void {
    const now = this.#clock.now().getTime();
    for (const [token, entry] of this.#entries) if (entry.expires <= now) this.#entries.delete(token);
  }

  /** At the cap, forgets finished imports oldest first; running ones are bounded by connections. */
  #makeRoom(): void {
    if (this.#entries.size < this.#maxEntries) return;
    const finished = [...this.#entries].filter(([, e]) => e.status.state !== 'running');
    finished.sort(([, a], [, b]) => a.expires - b.expires);
    for (const [token] of finished.slice(0, this.#entries.size - this.#maxEntries + 1)) {
      this.#entries.delete(token);
    }
  }
}
