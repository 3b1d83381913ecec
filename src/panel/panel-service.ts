import type { Kysely } from 'kysely';
import type { Database, Db } from '../db/index.ts';
import type { Clock, Ids } from '../kernel/index.ts';
import { attributeCatalogue } from './attribute-catalogue.ts';
import { readAttributeTypes } from './attribute-types.ts';
import type { SegmentCondition } from './compile-segment.ts';
import { importMembers } from './import-members.ts';
import { ImportTracker } from './import-tracker.ts';
import { getMember, listMembers, membersByIds, optOut } from './member-queries.ts';
import { countSegment, segmentCondition, segmentMemberIds } from './segment-queries.ts';
import type {
  AttributeCatalogueEntry,
  AttributeInfo,
  ImportOptions,
  ImportResult,
  ImportSource,
  ImportStatus,
  Member,
  MemberPage,
  MemberQuery,
} from './types.ts';

/** What the panel module needs from its entry point. */
export interface PanelDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
}

/** Members, their attributes, the CSV/TSV import and segments behind one object. */
export interface PanelService {
  /** Imports members from CSV/TSV; see {@link ImportOptions} and docs/panel.md. */
  importMembers(source: ImportSource, options?: ImportOptions): Promise<ImportResult>;
  /**
   * The progress of an import started in this process with `track: {token, owner}`, for the same
   * owner only (MEMBERS_IMPORT_NOT_FOUND otherwise, and 15 minutes after it ended).
   */
  importStatus(token: string, owner: string): ImportStatus;
  /** Opts a member out, from `at` (default now), forever. MEMBER_NOT_FOUND for an unknown id. */
  optOut(externalId: string, at?: Date): Promise<Member>;
  getMember(externalId: string): Promise<Member>;
  /** Members by internal id (e.g. from invitations); unknown ids are left out. */
  membersByIds(ids: string[]): Promise<Member[]>;
  /** Search and/or segment, a page at a time in external-id order. */
  listMembers(query?: MemberQuery): Promise<MemberPage>;
  /** How many members a segment holds (opted-out members never count). SEGMENT_INVALID on a mistake. */
  countSegment(expression: string): Promise<number>;
  listSegment(expression: string, page?: { limit?: number; after?: string }): Promise<MemberPage>;
  /** Every member id of a segment, in pages of `pageSize` (default 5,000). */
  segmentMemberIds(expression: string, pageSize?: number): AsyncIterable<string[]>;
  /**
   * The segment as a WHERE condition on `members`, for set-based statements of other modules
   * (e.g. `insert … select` of invitations). Opted-out members are excluded. Inside a transaction,
   * pass it as `within`: the attribute types are then read through it (on SQLite, a read outside
   * the transaction in progress would wait for it forever).
   */
  segmentCondition(expression: string, within?: Kysely<Database>): Promise<SegmentCondition>;
  /** Every attribute key with its type. */
  attributeTypes(): Promise<AttributeInfo[]>;
  /** Every attribute with its type, distinct values (at most `values`, default 20) and range. */
  attributeCatalogue(options?: { values?: number }): Promise<AttributeCatalogueEntry[]>;
}

/**
 * The panel module's door: wire it once per entry point with the database, clock and ids.
 *
 * @example
 * const panel = createPanelService({ db: ctx.db, clock: ctx.clock, ids: ctx.ids });
 * await panel.importMembers(createReadStream('panel.csv'));
 * await panel.countSegment("specialty in ('cardiology', 'oncology') and age >= 40"); // → 1234
 */
export function createPanelService(deps: PanelDeps): PanelService {
  const { db } = deps;
  const tracker = new ImportTracker({ clock: deps.clock });
  return {
    importMembers: async (source, options = {}) => {
      const { track, ...rest } = options;
      if (!track) return importMembers(deps, source, rest);
      const tracked = tracker.begin(track.token, track.owner);
      try {
        const result = await importMembers(deps, source, {
          ...rest,
          onProgress: (p) => {
            tracked.progress(p);
            rest.onProgress?.(p);
          },
        });
        tracked.finish(result);
        return result;
      } catch (error) {
        tracked.fail(error);
        throw error;
      }
    },
    importStatus: (token, owner) => tracker.status(token, owner),
    optOut: (externalId, at) => optOut(db, deps.clock, externalId, at),
    getMember: (externalId) => getMember(db, externalId),
    membersByIds: (ids) => membersByIds(db, ids),
    listMembers: async (query = {}) => {
      const condition = query.segment === undefined ? undefined : await segmentCondition(db, query.segment);
      return listMembers(db, {
        q: query.q,
        after: query.after,
        total: query.total,
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
        ...(condition ? { condition } : {}),
      });
    },
    countSegment: (expression) => countSegment(db, expression),
    listSegment: async (expression, page = {}) =>
      listMembers(db, { ...page, condition: await segmentCondition(db, expression) }),
    segmentMemberIds: (expression, pageSize) => segmentMemberIds(db, expression, pageSize),
    segmentCondition: (expression, within) => segmentCondition(db, expression, within),
    attributeTypes: async () =>
      [...(await readAttributeTypes(db.kysely))]
        .map(([key, type]) => ({ key, type }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    attributeCatalogue: (options) => attributeCatalogue(db.kysely, options),
  };
}
