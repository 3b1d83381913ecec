import { describe, expect, it } from 'vitest';
import { type CompiledSurvey, checkDefinition, compileSurvey } from '../../src/surveys/index.ts';

function compile(survey: Record<string, unknown>): CompiledSurvey {
  const checked = checkDefinition(JSON.stringify({ title: 'T', ...survey }));
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return compileSurvey({
    surveyId: 'sv_t',
    version: 3,
    document: checked.document,
    codebook: checked.codebook,
  });
}

const onePage = (...elements: Record<string, unknown>[]) => compile({ pages: [{ elements }] });

const codes = (result: { issues: { question: string; code: string }[] }) =>
  result.issues.map((i) => `${i.question}:${i.code}`);

describe('compiled validator', () => {
  it('drops the value of a question hidden by logic, and of questions on hidden pages and panels', () => {
    const survey = compile({
      pages: [
        {
          elements: [
            { type: 'boolean', name: 'smoker' },
            { type: 'text', name: 'cigarettes', inputType: 'number', visibleIf: '{smoker} = true' },
            {
              type: 'panel',
              name: 'p',
              visibleIf: '{smoker} = false',
              elements: [{ type: 'text', name: 'why_not' }],
            },
          ],
        },
        { visibleIf: '{smoker} = true', elements: [{ type: 'text', name: 'brand' }] },
      ],
    });
    const result = survey.validate(
      { smoker: false, cigarettes: 20, why_not: 'health', brand: 'X' },
      'complete',
    );
    expect(result).toEqual({
      ok: true,
      data: { smoker: false, why_not: 'health' },
      issues: [],
      screenedOut: null,
    });
    const smoker = survey.validate(
      { smoker: true, cigarettes: 20, why_not: 'health', brand: 'X' },
      'complete',
    );
    expect(smoker.data).toEqual({ smoker: true, cigarettes: 20, brand: 'X' });
  });

  it('decides visibility once on the answers as given, without a cascade (as survey-core does)', () => {
    const survey = onePage(
      { type: 'text', name: 'a' },
      { type: 'text', name: 'b', visibleIf: '{a} = 1' },
      { type: 'text', name: 'c', visibleIf: '{b} notempty' },
    );
    // b is hidden and cleared; c was visible (b had a value) and keeps its answer.
    expect(survey.validate({ a: 2, b: 'x', c: 'y' }, 'complete').data).toEqual({ a: 2, c: 'y' });
  });

  it('rejects an unlisted choice, also one of the wrong type', () => {
    const survey = onePage({ type: 'radiogroup', name: 'fruit', choices: ['apple', 1] });
    expect(codes(survey.validate({ fruit: 'pear' }, 'complete'))).toEqual(['fruit:NOT_A_CHOICE']);
    expect(codes(survey.validate({ fruit: '1' }, 'complete'))).toEqual(['fruit:NOT_A_CHOICE']);
    expect(survey.validate({ fruit: 1 }, 'complete').ok).toBe(true);
  });

  it('rejects ratings outside the scale', () => {
    const survey = onePage(
      { type: 'rating', name: 'r5', rateMax: 5 },
      { type: 'rating', name: 'r10', rateMin: 0, rateMax: 10, rateStep: 2 },
    );
    expect(codes(survey.validate({ r5: 6, r10: 3 }, 'complete'))).toEqual([
      'r5:NOT_A_CHOICE',
      'r10:NOT_A_CHOICE',
    ]);
    expect(codes(survey.validate({ r5: 0 }, 'complete'))).toEqual(['r5:NOT_A_CHOICE']);
    expect(survey.validate({ r5: 5, r10: 8 }, 'complete').ok).toBe(true);
  });

  it('requires required answers on complete but not on partial saves', () => {
    const survey = onePage(
      { type: 'text', name: 'name', isRequired: true },
      { type: 'boolean', name: 'married' },
      { type: 'text', name: 'spouse', requiredIf: '{married} = true' },
    );
    expect(codes(survey.validate({}, 'complete'))).toEqual(['name:REQUIRED']);
    expect(codes(survey.validate({ name: '', married: true }, 'complete'))).toEqual([
      'name:REQUIRED',
      'spouse:REQUIRED',
    ]);
    expect(survey.validate({ married: true }, 'partial')).toEqual({
      ok: true,
      data: { married: true },
      issues: [],
      screenedOut: null,
    });
    // A disabled question is not required (survey-core collects no errors for it).
    const disabled = onePage(
      { type: 'boolean', name: 'adult' },
      { type: 'text', name: 'job', isRequired: true, enableIf: '{adult} = true' },
    );
    expect(disabled.validate({ adult: false }, 'complete').ok).toBe(true);
    expect(codes(disabled.validate({ adult: true }, 'complete'))).toEqual(['job:REQUIRED']);
  });

  it('takes numbers in number inputs, not strings of digits', () => {
    const survey = onePage({ type: 'text', name: 'age', inputType: 'number', min: 0, max: 120 });
    expect(codes(survey.validate({ age: '12' }, 'complete'))).toEqual(['age:NOT_A_NUMBER']);
    expect(codes(survey.validate({ age: 'abc' }, 'partial'))).toEqual(['age:NOT_A_NUMBER']);
    expect(survey.validate({ age: 12 }, 'complete')).toEqual({
      ok: true,
      data: { age: 12 },
      issues: [],
      screenedOut: null,
    });
    expect(codes(survey.validate({ age: 121 }, 'complete'))).toEqual(['age:OUT_OF_RANGE']);
    expect(codes(survey.validate({ age: -1 }, 'complete'))).toEqual(['age:OUT_OF_RANGE']);
  });

  it('screens out on the first matching rule, evaluated on the cleaned answers', () => {
    const survey = compile({
      screenOut: [
        { expression: '{age} < 18', html: '<p>Sorry, adults only.</p>' },
        { expression: "{job} = 'none'", html: '<p>Workers only.</p>' },
      ],
      pages: [
        {
          elements: [
            { type: 'text', name: 'age', inputType: 'number', isRequired: true },
            { type: 'dropdown', name: 'job', choices: ['none', 'doctor'], visibleIf: '{age} >= 18' },
            { type: 'text', name: 'hospital', isRequired: true },
          ],
        },
      ],
    });
    // Required `hospital` is not enforced on screen-out.
    expect(survey.validate({ age: 16, job: 'none' }, 'complete')).toEqual({
      ok: true,
      data: { age: 16 },
      issues: [],
      screenedOut: { rule: 0, html: '<p>Sorry, adults only.</p>' },
    });
    expect(survey.validate({ age: 30, job: 'none' }, 'complete').screenedOut).toEqual({
      rule: 1,
      html: '<p>Workers only.</p>',
    });
    const kept = survey.validate({ age: 30, job: 'doctor' }, 'complete');
    expect([kept.screenedOut, codes(kept)]).toEqual([null, ['hospital:REQUIRED']]);
  });

  it('keeps only known answers and comments of questions that have an "other" or a comment box', () => {
    const survey = onePage(
      { type: 'radiogroup', name: 'pet', choices: ['cat', 'dog'], showOtherItem: true },
      { type: 'text', name: 'name' },
      { type: 'rating', name: 'mood', showCommentArea: true },
    );
    const result = survey.validate(
      {
        pet: 'other',
        'pet-Comment': 'ferret',
        name: '',
        'name-Comment': 'x',
        extra: 1,
        mood: 3,
        'mood-Comment': 'ok',
      },
      'complete',
    );
    expect(result.data).toEqual({ pet: 'other', 'pet-Comment': 'ferret', mood: 3, 'mood-Comment': 'ok' });
    // The "other" text goes when "other" is not chosen, and is needed when it is.
    expect(survey.validate({ pet: 'cat', 'pet-Comment': 'ferret' }, 'complete').data).toEqual({ pet: 'cat' });
    expect(codes(survey.validate({ pet: 'other' }, 'complete'))).toEqual(['pet:REQUIRED']);
  });

  it('checks multiple choices: listed, distinct, "none" alone, at most maxSelectedChoices', () => {
    const survey = onePage({
      type: 'checkbox',
      name: 'c',
      choices: [1, 2, 3],
      showNoneItem: true,
      maxSelectedChoices: 2,
      minSelectedChoices: 2,
    });
    expect(codes(survey.validate({ c: [1, 4] }, 'partial'))).toEqual(['c:NOT_A_CHOICE']);
    expect(codes(survey.validate({ c: [1, 1] }, 'partial'))).toEqual(['c:INVALID_FORMAT']);
    expect(codes(survey.validate({ c: ['none', 1] }, 'partial'))).toEqual(['c:INVALID_FORMAT']);
    expect(codes(survey.validate({ c: [1, 2, 3] }, 'partial'))).toEqual(['c:TOO_MANY']);
    expect(codes(survey.validate({ c: [1] }, 'complete'))).toEqual(['c:TOO_FEW']);
    expect(codes(survey.validate({ c: 1 }, 'complete'))).toEqual(['c:WRONG_TYPE', 'c:TOO_FEW']);
    expect(survey.validate({ c: ['none'] }, 'complete').ok).toBe(true);
  });

  it('checks matrices, multiple texts and rankings', () => {
    const survey = onePage(
      { type: 'matrix', name: 'm', rows: ['a', 'b'], columns: [1, 2], isAllRowRequired: true },
      {
        type: 'matrixdropdown',
        name: 'md',
        rows: ['x'],
        columns: [
          { name: 'n', cellType: 'text', isRequired: true },
          { name: 'd', choices: [1, 2] },
        ],
      },
      { type: 'multipletext', name: 'mt', items: [{ name: 'zip', inputType: 'number' }] },
      { type: 'ranking', name: 'rk', choices: ['p', 'q'] },
    );
    const bad = survey.validate(
      { m: { a: 3, c: 1 }, md: { x: { d: 3 } }, mt: { zip: '100' }, rk: ['p'] },
      'complete',
    );
    expect(codes(bad)).toEqual([
      'm:NOT_A_CHOICE',
      'm:UNKNOWN_QUESTION',
      'md:NOT_A_CHOICE',
      'mt:NOT_A_NUMBER',
      'rk:TOO_FEW',
      'm:REQUIRED',
      'md:REQUIRED',
    ]);
    const good = survey.validate(
      { m: { a: 1, b: 2 }, md: { x: { n: 'hi', d: 2 } }, mt: { zip: 100 }, rk: ['q', 'p'] },
      'complete',
    );
    expect(good.ok).toBe(true);
    // Empty rows and a ranking given as {} count as unanswered.
    expect(
      survey.validate({ m: { a: 1, b: 2 }, md: { x: { n: 'a', d: '' } }, rk: {} }, 'complete').data,
    ).toEqual({
      m: { a: 1, b: 2 },
      md: { x: { n: 'a' } },
    });
  });

  it('checks text formats and lengths', () => {
    const survey = onePage(
      { type: 'text', name: 'mail', inputType: 'email' },
      { type: 'text', name: 'day', inputType: 'date', max: '2026-12-31' },
      { type: 'comment', name: 'note', maxLength: 5 },
    );
    expect(codes(survey.validate({ mail: 'a@b', day: '2027-01-01', note: 'too long' }, 'complete'))).toEqual([
      'mail:INVALID_FORMAT',
      'day:OUT_OF_RANGE',
      'note:TOO_MANY',
    ]);
    expect(codes(survey.validate({ day: '2026-02-30x', note: 5 }, 'complete'))).toEqual([
      'day:INVALID_FORMAT',
      'note:WRONG_TYPE',
    ]);
    expect(
      survey.validate({ mail: 'ann@example.org', day: '2026-02-03', note: 'short' }, 'complete').ok,
    ).toBe(true);
  });

  it('carries its identity and ignores a data argument that is not an object', () => {
    const survey = onePage({ type: 'text', name: 'a' });
    expect([survey.surveyId, survey.version]).toEqual(['sv_t', 3]);
    expect(survey.validate([] as unknown as Record<string, unknown>, 'partial').data).toEqual({});
  });
});
