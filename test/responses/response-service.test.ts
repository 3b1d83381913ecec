import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import { cryptoIds, type EnqueteError } from '../../src/kernel/index.ts';
import { dialects, testDb } from '../helpers/db.ts';
import { lunchSurvey, publishedSurvey, type Services, services } from './fixture.ts';

async function failure(promise: Promise<unknown>): Promise<EnqueteError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: EnqueteError) => error,
  );
}

function issuesOf(error: EnqueteError): { question: string; code: string }[] {
  const issues = error.details?.['issues'];
  if (!Array.isArray(issues)) throw new Error(`no issues in ${error.code}`);
  return issues as { question: string; code: string }[];
}

const adult = { age: 34, lunch: 1, satisfaction: 4, remarks: 'good' };

describe.each(dialects())('responses on %s', (dialect) => {
  let db: Db;
  let s: Services;
  let surveyId: string;

  beforeEach(async () => {
    db = await testDb(dialect);
    s = services(db);
    surveyId = await publishedSurvey(s);
  });
  afterEach(() => db.close());

  const row = (token: string) =>
    db.kysely.selectFrom('responses').selectAll().where('token', '=', token).executeTakeFirstOrThrow();

  describe('open link', () => {
    it('stores nothing for a visit; the first save writes the row, bound to the version, with the channel and the visit’s time', async () => {
      const token = await s.responses.openLink(surveyId, {});
      const view = await s.responses.load(token);
      expect([view.surveyId, view.version, view.data, view.page, view.status]).toEqual([
        surveyId,
        1,
        {},
        0,
        'in_progress',
      ]);
      await s.responses.load(token);
      expect(await db.kysely.selectFrom('responses').select('id').execute()).toEqual([]);
      expect(await s.responses.counts(surveyId)).toEqual({ in_progress: 0, completed: 0, screened_out: 0 });

      s.clock.tick(90_000);
      await s.responses.savePartial(token, { data: { age: 40 }, page: 0 });
      expect(await row(token)).toMatchObject({
        survey_id: surveyId,
        version: 1,
        status: 'in_progress',
        data: '{"age":40}',
        page: 0,
        channel: 'open',
        started_at: '2026-03-02T09:00:00.000Z',
        updated_at: '2026-03-02T09:01:30.000Z',
        completed_at: null,
        external_ref: null,
      });
      expect(await s.responses.counts(surveyId)).toEqual({ in_progress: 1, completed: 0, screened_out: 0 });
    });

    it('a thousand visits store no response; each visitor still gets a token of their own', async () => {
      const tokens = new Set<string>();
      for (let i = 0; i < 1000; i++) tokens.add(await s.responses.openLink(surveyId, {}));
      expect(tokens.size).toBe(1000);
      expect(await db.kysely.selectFrom('responses').select('id').execute()).toEqual([]);
      // One key row for the survey, written at its first visit, is all.
      expect((await db.kysely.selectFrom('open_link_keys').select('survey_id').execute()).length).toBe(1);
    });

    it('reads a changed, forged or foreign token as unknown, and stores nothing for it', async () => {
      const token = await s.responses.openLink(surveyId, {});
      const bytes = Buffer.from(token, 'base64url');
      const flipped = Buffer.from(bytes);
      const last = flipped.length - 1; // the last byte of the payload (the issue time)
      flipped.writeUInt8(flipped.readUInt8(last) ^ 1, last);
      const otherKey = services(db, cryptoIds);
      const other = await publishedSurvey(otherKey, { ...lunchSurvey, title: 'Other' });
      const foreign = Buffer.from(await otherKey.responses.openLink(other, {}), 'base64url');
      // The other survey's token with this survey's id put in: signed with the wrong key.
      const payload = foreign.subarray(35).toString('utf8').split('\n');
      const swapped = Buffer.concat([
        foreign.subarray(0, 35),
        Buffer.from([surveyId, ...payload.slice(1)].join('\n')),
      ]);
      for (const bad of [
        flipped.toString('base64url'),
        swapped.toString('base64url'),
        `${token}A`,
        `${token.slice(0, 10)}*${token.slice(11)}`,
        Buffer.alloc(60, 1).toString('base64url'),
      ]) {
        expect((await failure(s.responses.load(bad))).code).toBe('RESPONSE_TOKEN_UNKNOWN');
        expect((await failure(s.responses.savePartial(bad, { data: {}, page: 0 }))).code).toBe(
          'RESPONSE_TOKEN_UNKNOWN',
        );
        expect((await failure(s.responses.complete(bad, { data: adult }))).code).toBe(
          'RESPONSE_TOKEN_UNKNOWN',
        );
      }
      expect(await db.kysely.selectFrom('responses').select('id').execute()).toEqual([]);
    });

    it('hands out unguessable tokens (at least 128 bits) with the real id source', async () => {
      const real = services(db, cryptoIds);
      const token = await real.responses.openLink(surveyId, {});
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(token, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    });

    it('resumes with an existing token of the same survey, and replaces unknown or foreign ones', async () => {
      const first = await s.responses.openLink(surveyId, {});
      expect(await s.responses.openLink(surveyId, { existingToken: first })).toBe(first);
      const unknown = await s.responses.openLink(surveyId, { existingToken: 'no-such-token' });
      expect(unknown).not.toBe(first);
      const other = await publishedSurvey(s, { ...lunchSurvey, title: 'Other' });
      const foreign = await s.responses.openLink(other, { existingToken: first });
      expect(foreign).not.toBe(first);
      expect((await s.responses.load(foreign)).surveyId).toBe(other);
    });

    it('resumes with a token from before tokens were signed, whose row the visit wrote', async () => {
      await db.kysely
        .insertInto('responses')
        .values({
          id: 'rs_old',
          survey_id: surveyId,
          version: 1,
          token: 'old-random-token-0000000',
          status: 'in_progress',
          data: '{"age":50}',
          page: 0,
          channel: 'open',
          started_at: '2026-01-01T00:00:00.000Z',
          updated_at: '2026-01-01T00:00:00.000Z',
          completed_at: null,
          external_ref: null,
        })
        .execute();
      expect(await s.responses.openLink(surveyId, { existingToken: 'old-random-token-0000000' })).toBe(
        'old-random-token-0000000',
      );
      expect((await s.responses.load('old-random-token-0000000')).data).toEqual({ age: 50 });
    });

    it('refuses a survey whose open link is off, an unpublished one, and an unknown one', async () => {
      const closedLink = await publishedSurvey(s, { ...lunchSurvey, title: 'No link' }, { openLink: false });
      expect((await failure(s.responses.openLink(closedLink, {}))).code).toBe('SURVEY_NOT_OPEN');
      const draft = await s.surveys.importSurvey({ source: JSON.stringify(lunchSurvey), actor: 'test' });
      await s.surveys.updateSettings(draft.id, { openLink: true, actor: 'test' });
      expect((await failure(s.responses.openLink(draft.id, {}))).code).toBe('SURVEY_NOT_OPEN');
      expect((await failure(s.responses.openLink('sv_nope', {}))).code).toBe('SURVEY_NOT_FOUND');
      expect(await db.kysely.selectFrom('responses').select('id').execute()).toEqual([]);
    });

    it('keeps a token on the version it was given on after a new version is published', async () => {
      const old = await s.responses.openLink(surveyId, {});
      const v2 = structuredClone(lunchSurvey);
      (v2.pages[1]!.elements as Record<string, unknown>[]).push({ type: 'comment', name: 'more' });
      await s.surveys.updateDraft(surveyId, { source: JSON.stringify(v2), actor: 'test' });
      await s.surveys.publish(surveyId, 'test');
      const fresh = await s.responses.openLink(surveyId, {});
      const oldView = await s.responses.load(old);
      const freshView = await s.responses.load(fresh);
      expect([oldView.version, freshView.version]).toEqual([1, 2]);
      const secondPage = (view: typeof oldView) =>
        ((view.surveyjs['pages'] as { elements: { name: string }[] }[])[1]?.elements ?? []).map(
          (e) => e.name,
        );
      expect(secondPage(oldView)).toEqual(['satisfaction', 'remarks']);
      expect(secondPage(freshView)).toEqual(['satisfaction', 'remarks', 'more']);
    });
  });

  describe('load and partial saves', () => {
    it('answers RESPONSE_TOKEN_UNKNOWN (not found) for an unknown token', async () => {
      const error = await failure(s.responses.load('no-such-token'));
      expect([error.code, error.kind]).toEqual(['RESPONSE_TOKEN_UNKNOWN', 'not_found']);
      expect((await failure(s.responses.savePartial('nope', { data: {}, page: 0 }))).code).toBe(
        'RESPONSE_TOKEN_UNKNOWN',
      );
      expect((await failure(s.responses.complete('nope', { data: adult }))).code).toBe(
        'RESPONSE_TOKEN_UNKNOWN',
      );
    });

    it('gives the page what it needs: definition, screen-out rules, saved answers, page', async () => {
      const token = await s.responses.openLink(surveyId, {});
      const view = await s.responses.load(token);
      expect(view).toMatchObject({
        token,
        surveyId,
        version: 1,
        title: 'Lunch survey',
        screenOut: lunchSurvey.screenOut,
        data: {},
        page: 0,
        status: 'in_progress',
      });
      expect(view.surveyjs['title']).toBe('Lunch survey');
      expect(view.surveyjs['screenOut']).toBeUndefined();
    });

    it('returns a saved partial on load, without values of hidden questions', async () => {
      const token = await s.responses.openLink(surveyId, {});
      s.clock.tick(60_000);
      await s.responses.savePartial(token, { data: { age: 40, lunch: 2, lunch_other: 'soup' }, page: 1 });
      const view = await s.responses.load(token);
      expect(view.data).toEqual({ age: 40, lunch: 2 });
      expect(view.page).toBe(1);
      expect((await row(token)).updated_at).toBe('2026-03-02T09:01:00.000Z');
      await s.responses.savePartial(token, { data: { age: 40, lunch: 3, lunch_other: 'soup' }, page: 1 });
      expect((await s.responses.load(token)).data).toEqual({ age: 40, lunch: 3, lunch_other: 'soup' });
    });

    it('rejects an unlisted choice, an out-of-range number and a bad page, storing nothing', async () => {
      const token = await s.responses.openLink(surveyId, {});
      await s.responses.savePartial(token, { data: { age: 40 }, page: 0 });
      const error = await failure(s.responses.savePartial(token, { data: { age: 40, lunch: 7 }, page: 1 }));
      expect([error.code, error.kind]).toEqual(['RESPONSE_INVALID', 'invalid']);
      const issues = issuesOf(error);
      expect(issues.map((i) => [i.question, i.code])).toEqual([['lunch', 'NOT_A_CHOICE']]);
      const range = await failure(s.responses.savePartial(token, { data: { age: 200 }, page: 0 }));
      expect(issuesOf(range)[0]).toMatchObject({
        question: 'age',
        code: 'OUT_OF_RANGE',
      });
      expect((await failure(s.responses.savePartial(token, { data: {}, page: 2 }))).code).toBe(
        'RESPONSE_INVALID',
      );
      expect((await failure(s.responses.savePartial(token, { data: {}, page: -1 }))).code).toBe(
        'RESPONSE_INVALID',
      );
      const view = await s.responses.load(token);
      expect([view.data, view.page]).toEqual([{ age: 40 }, 0]);
    });

    it('records the channel once and keeps the first one', async () => {
      const token = await s.responses.openLink(surveyId, { channel: 'email' });
      await s.responses.load(token, { channel: 'portal' });
      await s.responses.savePartial(token, { data: {}, page: 0 });
      await s.responses.load(token, { channel: 'portal' });
      expect((await row(token)).channel).toBe('email');
    });
  });

  describe('completion', () => {
    it('completes a valid response, dropping the value of a hidden question', async () => {
      const token = await s.responses.openLink(surveyId, {});
      s.clock.tick(5 * 60_000);
      const result = await s.responses.complete(token, { data: { ...adult, lunch_other: 'hidden text' } });
      const stored = await row(token);
      expect(result).toEqual({ responseId: stored.id, status: 'completed', html: null, repeated: false });
      expect(JSON.parse(stored.data)).toEqual(adult);
      expect(stored.status).toBe('completed');
      expect(stored.completed_at).toBe('2026-03-02T09:05:00.000Z');
    });

    it('refuses missing required answers and unlisted choices and changes nothing', async () => {
      const token = await s.responses.openLink(surveyId, {});
      await s.responses.savePartial(token, { data: { age: 34 }, page: 1 });
      const missing = await failure(s.responses.complete(token, { data: { age: 34, lunch: 1 } }));
      expect(missing.code).toBe('RESPONSE_INVALID');
      expect(issuesOf(missing).map((i) => i.question)).toEqual(['satisfaction']);
      const unlisted = await failure(s.responses.complete(token, { data: { ...adult, lunch: 4 } }));
      expect(issuesOf(unlisted)[0]?.code).toBe('NOT_A_CHOICE');
      const stored = await row(token);
      expect([stored.status, JSON.parse(stored.data), stored.completed_at]).toEqual([
        'in_progress',
        { age: 34 },
        null,
      ]);
      // A refused first completion of a token never saved stores nothing.
      const fresh = await s.responses.openLink(surveyId, {});
      expect((await failure(s.responses.complete(fresh, { data: { age: 34 } }))).code).toBe(
        'RESPONSE_INVALID',
      );
      expect(await db.kysely.selectFrom('responses').select('token').execute()).toEqual([{ token }]);
    });

    it('screens out with the rule’s end page even when later answers are missing', async () => {
      const token = await s.responses.openLink(surveyId, {});
      const result = await s.responses.complete(token, { data: { age: 16 } });
      expect(result).toMatchObject({
        status: 'screened_out',
        html: '<p>Thank you: this survey is for adults.</p>',
        repeated: false,
      });
      expect((await row(token)).status).toBe('screened_out');
      const again = await s.responses.complete(token, { data: adult });
      expect(again).toEqual({ ...result, repeated: true });
    });

    it('stores a repeated completion once and closes the response for saves', async () => {
      const token = await s.responses.openLink(surveyId, {});
      const first = await s.responses.complete(token, { data: adult });
      const second = await s.responses.complete(token, { data: { ...adult, satisfaction: 1 } });
      expect(second).toEqual({ ...first, repeated: true });
      expect(JSON.parse((await row(token)).data)).toEqual(adult);
      const closed = await failure(s.responses.savePartial(token, { data: { age: 50 }, page: 0 }));
      expect([closed.code, closed.kind]).toEqual(['RESPONSE_CLOSED', 'conflict']);
      expect((await s.responses.load(token)).status).toBe('completed');
    });

    it('counts responses by status, per survey and for all surveys', async () => {
      const other = await publishedSurvey(s, { ...lunchSurvey, title: 'Other' });
      const tokens = await Promise.all([1, 2, 3, 4].map(() => s.responses.openLink(surveyId, {})));
      await s.responses.complete(tokens[0]!, { data: adult });
      await s.responses.complete(tokens[1]!, { data: adult });
      await s.responses.complete(tokens[2]!, { data: { age: 12 } });
      await s.responses.savePartial(tokens[3]!, { data: { age: 30 }, page: 0 });
      // Visits alone count nowhere.
      await s.responses.load(await s.responses.openLink(surveyId, {}));
      await s.responses.savePartial(await s.responses.openLink(other, {}), { data: {}, page: 0 });
      await s.responses.openLink(other, {});
      expect(await s.responses.counts(surveyId)).toEqual({ in_progress: 1, completed: 2, screened_out: 1 });
      const all = await s.responses.countsBySurvey();
      expect(Object.fromEntries(all)).toEqual({
        [surveyId]: { in_progress: 1, completed: 2, screened_out: 1 },
        [other]: { in_progress: 1, completed: 0, screened_out: 0 },
      });
      expect(await s.responses.counts('sv_empty')).toEqual({ in_progress: 0, completed: 0, screened_out: 0 });
    });
  });
});
