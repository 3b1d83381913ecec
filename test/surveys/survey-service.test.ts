import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import { isEnqueteError, sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { createSurveyService, type SurveyService } from '../../src/surveys/index.ts';
import { dialects, testDb } from '../helpers/db.ts';

const v1 = {
  title: 'Lunch',
  timezone: 'Asia/Tokyo',
  pages: [
    {
      elements: [
        { type: 'radiogroup', name: 'meal', choices: ['rice', 'bread'], isRequired: true },
        { type: 'text', name: 'age', inputType: 'number', min: 1, max: 120 },
      ],
    },
  ],
};

const v2 = {
  ...v1,
  title: 'Lunch, again',
  pages: [
    {
      elements: [...(v1.pages[0]?.elements ?? []), { type: 'comment', name: 'why' }],
    },
  ],
};

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; details: unknown }> {
  try {
    await promise;
  } catch (error) {
    if (isEnqueteError(error)) return { code: error.code, details: error.details };
    throw error;
  }
  throw new Error('expected an error');
}

describe.each(dialects())('survey service on %s', (dialect) => {
  let db: Db;
  let clock: TestClock;
  let surveys: SurveyService;

  beforeEach(async () => {
    db = await testDb(dialect);
    clock = new TestClock('2026-03-01T09:00:00.000Z');
    surveys = createSurveyService({ db, clock, ids: sequentialIds() });
  });
  afterEach(() => db.close());

  it('imports a draft, takes the title and time zone from the definition', async () => {
    const survey = await surveys.importSurvey({ source: JSON.stringify(v1), actor: 'cli', client: 'acme' });
    expect(survey).toMatchObject({
      id: 'sv_000000000001',
      title: 'Lunch',
      client: 'acme',
      timezone: 'Asia/Tokyo',
      currentVersion: null,
      openLink: false,
      closed: false,
      createdAt: '2026-03-01T09:00:00.000Z',
      draftChanged: true,
      versions: [],
    });
    expect(JSON.parse(survey.draftSource)).toEqual(v1);
    await expect(surveys.compiled(survey.id)).rejects.toMatchObject({ code: 'SURVEY_NOT_PUBLISHED' });
  });

  it('imports YAML and publishes at once', async () => {
    const yaml = 'title: Yaml survey\npages:\n  - elements:\n      - type: boolean\n        name: ok\n';
    const survey = await surveys.importSurvey({
      source: yaml,
      format: 'yaml',
      actor: 'user:us_1',
      publish: true,
    });
    expect(survey.currentVersion).toBe(1);
    expect(survey.versions).toEqual([
      { version: 1, publishedAt: '2026-03-01T09:00:00.000Z', publishedBy: 'user:us_1' },
    ]);
    expect(survey.draftChanged).toBe(false);
    const version = await surveys.getVersion(survey.id, 1);
    expect(version.codebook.columns.map((c) => c.name)).toEqual(['ok']);
    expect(version.document.surveyjs).toEqual({
      title: 'Yaml survey',
      pages: [{ elements: [{ type: 'boolean', name: 'ok' }] }],
    });
  });

  it('rejects a bad definition with its place and stores nothing', async () => {
    const bad = {
      title: 'x',
      pages: [
        {
          elements: [
            { type: 'text', name: 'a' },
            { type: 'text', name: 'a' },
          ],
        },
      ],
    };
    const error = await codeOf(surveys.importSurvey({ source: JSON.stringify(bad), actor: 'cli' }));
    expect(error.code).toBe('SURVEY_DEFINITION_INVALID');
    expect(error.details).toEqual({
      errors: [
        { place: 'pages[0].elements[1].name', message: 'duplicate name "a" (first at pages[0].elements[0])' },
      ],
    });
    expect(await surveys.list()).toEqual([]);
  });

  it('publishes versions that the draft never changes', async () => {
    const survey = await surveys.importSurvey({ source: JSON.stringify(v1), actor: 'cli' });
    expect(await surveys.publish(survey.id, 'cli')).toEqual({
      version: 1,
      publishedAt: '2026-03-01T09:00:00.000Z',
      publishedBy: 'cli',
    });
    clock.tick(60_000);
    // Publishing an unchanged draft returns the current version.
    expect((await surveys.publish(survey.id, 'cli')).version).toBe(1);

    const updated = await surveys.updateDraft(survey.id, { source: JSON.stringify(v2), actor: 'cli' });
    expect(updated).toMatchObject({ title: 'Lunch, again', draftChanged: true, currentVersion: 1 });
    const frozen = await surveys.getVersion(survey.id, 1);
    expect(frozen.document.surveyjs['title']).toBe('Lunch');
    expect(frozen.codebook.questions.map((q) => q.name)).toEqual(['meal', 'age']);

    expect(await surveys.publish(survey.id, 'user:us_2')).toEqual({
      version: 2,
      publishedAt: '2026-03-01T09:01:00.000Z',
      publishedBy: 'user:us_2',
    });
    const two = await surveys.getVersion(survey.id, 2);
    expect(two.codebook.questions.map((q) => q.name)).toEqual(['meal', 'age', 'why']);
    expect((await surveys.get(survey.id)).versions.map((v) => v.version)).toEqual([1, 2]);
  });

  it('refuses a draft that removes a published question, naming its place', async () => {
    const survey = await surveys.importSurvey({ source: JSON.stringify(v2), actor: 'cli', publish: true });
    const error = await codeOf(surveys.updateDraft(survey.id, { source: JSON.stringify(v1), actor: 'cli' }));
    expect(error.code).toBe('SURVEY_DEFINITION_INVALID');
    expect(error.details).toEqual({
      errors: [
        {
          place: 'pages[0].elements[2]',
          message:
            'question "why" of published version 1 (at pages[0].elements[2]) was removed; published questions must be kept so answers stay comparable',
        },
      ],
    });
    expect(JSON.parse((await surveys.get(survey.id)).draftSource)).toEqual(v2);
  });

  it('lists with a client filter and changes settings', async () => {
    const a = await surveys.importSurvey({ source: JSON.stringify(v1), actor: 'cli', client: 'acme' });
    clock.tick(1000);
    const b = await surveys.importSurvey({ source: JSON.stringify(v2), actor: 'cli' });
    expect((await surveys.list()).map((s) => s.id)).toEqual([b.id, a.id]);
    expect((await surveys.list({ client: 'acme' })).map((s) => s.id)).toEqual([a.id]);
    expect((await surveys.list({ client: null })).map((s) => s.id)).toEqual([b.id]);
    const changed = await surveys.updateSettings(b.id, {
      openLink: true,
      closed: true,
      client: 'beta',
      actor: 'cli',
    });
    expect(changed).toMatchObject({ openLink: true, closed: true, client: 'beta' });
    expect((await surveys.list({ client: 'beta' })).map((s) => s.id)).toEqual([b.id]);
  });

  it('answers not found for unknown surveys and versions', async () => {
    await expect(surveys.get('sv_nope')).rejects.toMatchObject({ code: 'SURVEY_NOT_FOUND' });
    const survey = await surveys.importSurvey({ source: JSON.stringify(v1), actor: 'cli', publish: true });
    await expect(surveys.getVersion(survey.id, 7)).rejects.toMatchObject({
      code: 'SURVEY_VERSION_NOT_FOUND',
    });
    await expect(surveys.getVersion('sv_nope', 1)).rejects.toMatchObject({ code: 'SURVEY_NOT_FOUND' });
    await expect(surveys.publish('sv_nope', 'cli')).rejects.toMatchObject({ code: 'SURVEY_NOT_FOUND' });
  });

  it('compiles each published version once and validates with it', async () => {
    const survey = await surveys.importSurvey({ source: JSON.stringify(v1), actor: 'cli', publish: true });
    const compiled = await surveys.compiled(survey.id);
    expect(await surveys.compiled(survey.id, 1)).toBe(compiled);
    expect(compiled.version).toBe(1);
    expect(compiled.validate({ meal: 'rice', age: 30 }, 'complete')).toEqual({
      ok: true,
      data: { meal: 'rice', age: 30 },
      issues: [],
      screenedOut: null,
    });
    expect(compiled.validate({ meal: 'soup' }, 'complete').issues.map((i) => [i.question, i.code])).toEqual([
      ['meal', 'NOT_A_CHOICE'],
    ]);
  });

  it('publishes once when two publishes race', async () => {
    const survey = await surveys.importSurvey({ source: JSON.stringify(v1), actor: 'cli' });
    const results = await Promise.allSettled([
      surveys.publish(survey.id, 'a'),
      surveys.publish(survey.id, 'b'),
    ]);
    const versions = results.filter((r) => r.status === 'fulfilled').map((r) => r.value.version);
    expect(versions.length).toBeGreaterThanOrEqual(1);
    expect(new Set(versions)).toEqual(new Set([1]));
    expect((await surveys.get(survey.id)).versions.map((v) => v.version)).toEqual([1]);
  });
});
