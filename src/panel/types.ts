import type { Readable } from 'node:stream';

/** How an attribute's text is read: see docs/panel.md for the inference rules. */
export type AttributeType = 'number' | 'date' | 'text' | 'list';

/** An attribute value as the API shows it: numbers as numbers, lists as arrays, dates as YYYY-MM-DD. */
export type AttributeValue = number | string | string[];

export interface Member {
  id: string;
  externalId: string;
  email: string | null;
  name: string | null;
  attributes: Record<string, AttributeValue>;
  /** When the member opted out; null while they receive invitations. */
  optedOutAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AttributeInfo {
  key: string;
  type: AttributeType;
}

/** An attribute as the catalogue describes it, to help write segments. */
export interface AttributeCatalogueEntry extends AttributeInfo {
  /** Distinct values (list elements for lists) in order, smallest first; numbers as numbers. */
  values: (number | string)[];
  /** True when the attribute has more distinct values than `values` lists. */
  more: boolean;
  /** Number and date attributes: the smallest value (null when no member has one). */
  min?: number | string | null;
  /** Number and date attributes: the largest value (null when no member has one). */
  max?: number | string | null;
}

export interface ImportProgress {
  /** Bytes of the source read so far. */
  bytes: number;
  /** Data records read so far (header excluded). */
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

/** An import followed by its progress token (see `ImportOptions.track`). */
export interface ImportStatus extends ImportProgress {
  state: 'running' | 'done' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  /** Why a failed import stopped (its rows written so far stay). */
  error: { code: string; message: string } | null;
}

export interface ImportOptions {
  /**
   * The column holding the members' external ids (default `external_id`), or `@line` to use each
   * record's line number in the file as its external id (for files without an id column).
   */
  key?: string;
  /** Field delimiter; by default a tab when the header line has more tabs than commas, else a comma. */
  delimiter?: ',' | '\t';
  /** Called after each batch has been written. */
  onProgress?: (progress: ImportProgress) => void;
  /** Records per transaction (default 2,000). */
  batchSize?: number;
  /**
   * Makes the progress readable with `importStatus(token, owner)` while the import runs and for
   * 15 minutes after; `token` is the caller's random base64url text of 22 to 64 characters.
   */
  track?: { token: string; owner: string };
}

export interface RejectedRow {
  /** Line in the file where the record starts (the header is line 1). */
  line: number;
  reason: string;
}

export interface ImportResult {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: RejectedRow[];
  /** The file's attribute columns with their types after the import. */
  attributes: AttributeInfo[];
}

/** What `importMembers` reads: a byte or text stream, e.g. `createReadStream(file)` or a request body. */
export type ImportSource = Readable | AsyncIterable<Buffer | string>;

export interface MemberQuery {
  /** Search: exact or leading external id, or part of the e-mail or name (ASCII case-insensitive). */
  q?: string;
  /** A segment expression; opted-out members never match one. */
  segment?: string;
  /** Page size, 1–1000 (default 50). */
  limit?: number;
  /** External id of the last member of the previous page. */
  after?: string;
  /** Also count every member matching `q` and `segment` (a scan: ask on the first page only). */
  total?: boolean;
}

export interface MemberPage {
  members: Member[];
  /** Pass as `after` for the next page; null on the last page. */
  next: string | null;
  /** Members matching `q` and `segment` on all pages, when asked for with `total`. */
  total?: number;
}
