import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/index.ts';
import { type Clock, type Ids, isoNow } from '../kernel/index.ts';

/** What an open-link token says about itself: signed into it, so no row is needed to trust it. */
export interface OpenLinkClaim {
  surveyId: string;
  /** The published version the visitor was given. */
  version: number;
  /** Entry channel (`?ch=` of the open link; `open` without one). */
  channel: string;
  /** When the visit handed it out (ISO 8601): the response's `started_at`. */
  issuedAt: string;
}

export interface OpenLinkTokens {
  /** A new unguessable token for one visitor, signed with the survey's key (made on first use). */
  issue(claim: OpenLinkClaim): Promise<string>;
  /** The claim of a token this hub issued; null for any other text (invitation tokens, forgeries). */
  read(token: string): Promise<OpenLinkClaim | null>;
}

const format = 1;
const nonceBytes = 18;
const macBytes = 16;
const head = 1 + nonceBytes + macBytes;
/** Keys kept in memory; keys never change, so a kept one is never stale. */
const maxCachedKeys = 10_000;

/**
 * Open-link tokens without rows: base64url of `[format][nonce 18][mac 16][payload]`, where the
 * payload is `surveyId \n version \n channel \n issued-at ms` and the mac the first 16 bytes of
 * HMAC-SHA256 over everything but itself, keyed by the survey's secret (table `open_link_keys`).
 * The nonce (144 random bits) makes each token unguessable and distinct; the mac makes one that
 * was not handed out here, or one changed in any byte, read as nothing.
 *
 * @example
 * const tokens = createOpenLinkTokens({ db, clock, ids });
 * const token = await tokens.issue({ surveyId, version: 1, channel: 'open', issuedAt: now });
 * await tokens.read(token); // → the same claim
 */
export function createOpenLinkTokens(deps: { db: Db; clock: Clock; ids: Ids }): OpenLinkTokens {
  const k = deps.db.kysely;
  const keys = new Map<string, Buffer>();

  const remember = (surveyId: string, secret: string): Buffer => {
    if (keys.size >= maxCachedKeys) keys.clear();
    const key = Buffer.from(secret, 'utf8');
    keys.set(surveyId, key);
    return key;
  };

  async function storedKey(surveyId: string): Promise<Buffer | null> {
    const cached = keys.get(surveyId);
    if (cached) return cached;
    const row = await k
      .selectFrom('open_link_keys')
      .select('secret')
      .where('survey_id', '=', surveyId)
      .executeTakeFirst();
    return row ? remember(surveyId, row.secret) : null;
  }

  async function keyFor(surveyId: string): Promise<Buffer> {
    const found = await storedKey(surveyId);
    if (found) return found;
    // Two first visits at once: one insert wins, both read the winner's key.
    await k
      .insertInto('open_link_keys')
      .values({
        survey_id: surveyId,
        secret: deps.ids.token() + deps.ids.token(),
        created_at: isoNow(deps.clock),
      })
      .onConflict((oc) => oc.column('survey_id').doNothing())
      .execute();
    const row = await k
      .selectFrom('open_link_keys')
      .select('secret')
      .where('survey_id', '=', surveyId)
      .executeTakeFirstOrThrow();
    return remember(surveyId, row.secret);
  }

  const mac = (key: Buffer, signed: Buffer): Buffer =>
    createHmac('sha256', key).update(signed).digest().subarray(0, macBytes);

  return {
    async issue(claim) {
      const key = await keyFor(claim.surveyId);
      const nonce = Buffer.alloc(nonceBytes);
      Buffer.from(deps.ids.token(), 'base64url').copy(nonce);
      const payload = Buffer.from(
        [claim.surveyId, claim.version, claim.channel, Date.parse(claim.issuedAt)].join('\n'),
        'utf8',
      );
      const bytes = Buffer.concat([Buffer.from([format]), nonce, Buffer.alloc(macBytes), payload]);
      const signed = Buffer.concat([bytes.subarray(0, 1 + nonceBytes), payload]);
      mac(key, signed).copy(bytes, 1 + nonceBytes);
      return bytes.toString('base64url');
    },

    async read(token) {
      if (token.length > 400) return null;
      const bytes = Buffer.from(token, 'base64url');
      // Node's decoder skips characters outside the alphabet: only its own encoding is accepted.
      if (bytes.length <= head || bytes[0] !== format || bytes.toString('base64url') !== token) return null;
      const payload = bytes.subarray(head);
      const parts = payload.toString('utf8').split('\n');
      if (parts.length !== 4) return null;
      const [surveyId, version, channel, ms] = parts as [string, string, string, string];
      if (!surveyId || !/^[1-9]\d{0,8}$/.test(version) || !/^\d{1,15}$/.test(ms)) return null;
      const key = await storedKey(surveyId);
      if (!key) return null;
      const signed = Buffer.concat([bytes.subarray(0, 1 + nonceBytes), payload]);
      if (!timingSafeEqual(mac(key, signed), bytes.subarray(1 + nonceBytes, head))) return null;
      return { surveyId, version: Number(version), channel, issuedAt: new Date(Number(ms)).toISOString() };
    },
  };
}
