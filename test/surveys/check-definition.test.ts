import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkDefinition, type DefinitionError } from '../../src/surveys/index.ts';

function errorsOf(source: string | Record<string, unknown>, format?: 'json' | 'yaml'): DefinitionError[] {
  const result = checkDefinition(typeof source === 'string' ? source : JSON.stringify(source), format);
  if (result.ok) throw new Error('expected the definition to be rejected');
  return result.errors;
}

const places = (source: string | Record<string, unknown>) => errorsOf(source).map((e) => e.place);

const page = (...elements: unknown[]) => ({ title: 'T', pages: [{ elements }] });

describe('checkDefinition', () => {
  it('names the line and column of JSON syntax errors', () => {
    const errors = errorsOf('{\n  "title": "x",\n  "pages": [1,}\n}');
    expect(errors.map((e) => e.place)).toEqual(['line 3, column 15']);
    expect(errors[0]?.message).toMatch(/^invalid JSON: /);
    expect(places('{"title": "x"')).toEqual(['line 1, column 14']);
    expect(places('{"a": tru}')).toEqual(['line 1, column 10']); // at the '}' that V8 calls unexpected
  });

  it('names the line and column of YAML syntax errors', () => {
    const errors = errorsOf('title: x\npages:\n  - elements: [\n', 'yaml');
    expect(errors[0]?.place).toMatch(/^line \d+, column \d+$/);
    expect(errors[0]?.message).toMatch(/^invalid YAML: /);
    expect(places('title: x\ntitle: y\n')[0]).toBe('line 2, column 1');
  });

  it('refuses a YAML alias bomb as a definition error, not a crash', () => {
    const bomb = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'title: *d',
      '',
    ].join('\n');
    const errors = errorsOf(bomb, 'yaml');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/^invalid YAML: Excessive alias count/);
  });

  it('reads YAML as the same survey as JSON', () => {
    const yaml = 'title: Q\npages:\n  - name: p1\n    elements:\n      - type: text\n        name: age\n';
    const fromYaml = checkDefinition(yaml);
    const fromJson = checkDefinition(
      JSON.stringify({ title: 'Q', pages: [{ name: 'p1', elements: [{ type: 'text', name: 'age' }] }] }),
    );
    expect(fromYaml).toEqual(fromJson);
    expect(fromYaml.ok).toBe(true);
  });

  it('needs a title, pages and named elements', () => {
    expect(errorsOf({ pages: [{ elements: [{ type: 'text', name: 'a' }] }] })).toEqual([
      { place: 'title', message: 'a survey needs a title' },
    ]);
    expect(places({ title: 'T' })).toEqual(['pages']);
    expect(places({ title: 'T', pages: [{ elements: [] }] })).toEqual(['pages[0].elements']);
    expect(places(page({ type: 'text' }))).toEqual(['pages[0].elements[0].name']);
    expect(places(page({ name: 'x' }))).toEqual(['pages[0].elements[0].type']);
    expect(places(page({ type: 'text', name: 'a.b' }))).toEqual(['pages[0].elements[0].name']);
  });

  it('finds duplicate names across pages and nested panels', () => {
    const survey = {
      title: 'T',
      pages: [
        { elements: [{ type: 'text', name: 'q1' }] },
        {
          elements: [
            { type: 'text', name: 'q2' },
            {
              type: 'panel',
              name: 'p',
              elements: [{ type: 'panel', elements: [{ type: 'comment', name: 'q1' }] }],
            },
          ],
        },
      ],
    };
    expect(errorsOf(survey)).toEqual([
      {
        place: 'pages[1].elements[1].elements[0].elements[0].name',
        message: 'duplicate name "q1" (first at pages[0].elements[0])',
      },
    ]);
  });

  it('rejects unknown element types, and known ones the validator does not support', () => {
    expect(errorsOf(page({ type: 'textt', name: 'a' }))).toEqual([
      { place: 'pages[0].elements[0].type', message: 'unknown element type "textt"' },
    ]);
    expect(errorsOf(page({ type: 'file', name: 'a' }))).toEqual([
      { place: 'pages[0].elements[0].type', message: 'element type "file" is not supported by enquete' },
    ]);
  });

  it('rejects what the server-side validator would not reproduce', () => {
    expect(places(page({ type: 'text', name: 't', validators: [{ type: 'numeric' }] }))).toEqual([
      'pages[0].elements[0].validators',
    ]);
    expect(places(page({ type: 'text', name: 't', inputType: 'time', max: '12:00' }))).toEqual([
      'pages[0].elements[0].inputType',
    ]);
    expect(
      places(page({ type: 'dropdown', name: 'd', choices: ['x', { value: 'y', visibleIf: '{d} empty' }] })),
    ).toEqual(['pages[0].elements[0].choices[1].visibleIf']);
    expect(
      places(page({ type: 'radiogroup', name: 'r', choices: ['x'], choicesVisibleIf: '{item} = 1' })),
    ).toEqual(['pages[0].elements[0].choicesVisibleIf']);
    expect(
      places(page({ type: 'panel', isRequired: true, elements: [{ type: 'text', name: 'x' }] })),
    ).toEqual(['pages[0].elements[0].isRequired']);
    expect(
      places({
        ...page({ type: 'text', name: 'x' }),
        clearInvisibleValues: 'none',
        triggers: [],
        storeOthersAsComment: false,
      }),
    ).toEqual(['triggers', 'clearInvisibleValues', 'storeOthersAsComment']);
  });

  it('rejects duplicate choice values and values taken by other/none', () => {
    expect(
      errorsOf(
        page({ type: 'radiogroup', name: 'r', choices: ['a', { value: 'b' }, { value: 'a', text: 'A' }] }),
      ),
    ).toEqual([
      {
        place: 'pages[0].elements[0].choices[2]',
        message: 'duplicate value "a" (same as pages[0].elements[0].choices[0])',
      },
    ]);
    expect(
      places(page({ type: 'checkbox', name: 'c', choices: ['x', 'other'], showOtherItem: true })),
    ).toEqual(['pages[0].elements[0].choices']);
    expect(places(page({ type: 'dropdown', name: 'd', choices: [] }))).toEqual([
      'pages[0].elements[0].choices',
    ]);
    expect(places(page({ type: 'matrix', name: 'm', rows: ['a', 'a'], columns: [1] }))).toEqual([
      'pages[0].elements[0].rows[1]',
    ]);
  });

  it('reports invalid expressions with their place', () => {
    const survey = {
      title: 'T',
      screenOut: [{ expression: '{age} <', html: 'bye' }],
      pages: [
        {
          visibleIf: '{age} > 1',
          elements: [
            { type: 'text', name: 'age', inputType: 'number' },
            { type: 'text', name: 'b', visibleIf: '{agee} > 3' },
            { type: 'text', name: 'c', enableIf: 'nosuchfunction({age})' },
            { type: 'text', name: 'd', requiredIf: '{age} + 1' },
          ],
        },
      ],
    };
    const errors = errorsOf(survey);
    expect(errors.map((e) => e.place)).toEqual([
      'pages[0].elements[1].visibleIf',
      'pages[0].elements[2].enableIf',
      'pages[0].elements[3].requiredIf',
      'screenOut[0].expression',
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      '{agee} is not a question of this survey',
      'unknown function nosuchfunction()',
      'is not a condition (it does not give true or false)',
      expect.stringMatching(/^syntax error at character 8: /),
    ]);
  });

  it('checks the enquete keys and removes them before SurveyJS sees the JSON', () => {
    expect(
      places({ ...page({ type: 'text', name: 'a' }), timezone: 'Mars/Olympus', estimatedMinutes: -3 }),
    ).toEqual(['timezone', 'estimatedMinutes']);
    const result = checkDefinition(
      JSON.stringify({
        ...page({ type: 'text', name: 'a' }),
        timezone: 'Asia/Tokyo',
        estimatedMinutes: 4,
        screenOut: [{ expression: '{a} empty', html: '<p>bye</p>' }],
      }),
    );
    if (!result.ok) throw new Error('expected ok');
    expect(result.document).toEqual({
      surveyjs: page({ type: 'text', name: 'a' }),
      screenOut: [{ expression: '{a} empty', html: '<p>bye</p>' }],
      timezone: 'Asia/Tokyo',
      estimatedMinutes: 4,
    });
  });

  it('rejects export column names that collide, with the place', () => {
    const survey = page(
      { type: 'checkbox', name: 'fruit', choices: ['apple', 'pear'] },
      { type: 'text', name: 'FRUIT__apple' },
    );
    expect(errorsOf(survey)).toEqual([
      {
        place: 'pages[0].elements[1].name',
        message:
          'export column "FRUIT__apple" of question "FRUIT__apple" collides with a column of question "fruit" (pages[0].elements[0]); rename one of them',
      },
    ]);
  });
});

describe('codebook', () => {
  const fixture = readFileSync(new URL('../fixtures/surveys/all-types.json', import.meta.url), 'utf8');

  it('flattens every question type into the documented column names', () => {
    const result = checkDefinition(fixture);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    // Written out by hand from the naming rules of docs/exports.md.
    expect(result.codebook.columns.map((c) => c.name)).toEqual([
      'age',
      'birthday',
      'contact',
      'email',
      'pet_name',
      'note',
      'color',
      'color__other',
      'country',
      'fruits__apple',
      'fruits__pear',
      'fruits__kiwi',
      'fruits__mango',
      'fruits__none',
      'tags__1',
      'tags__2',
      'tags__3',
      'tags__4',
      'satisfied',
      'why',
      'priorities__price',
      'priorities__quality',
      'priorities__speed',
      'grid__r1',
      'grid__r2',
      'grid__r3',
      'income',
      'jobs__now__title',
      'jobs__now__years',
      'jobs__now__remote',
      'jobs__before__title',
      'jobs__before__years',
      'jobs__before__remote',
      'income_detail',
      'reach__phone',
      'reach__zip',
      'kiwi_taste',
      'has_pet',
      'kiwi_more',
    ]);
  });

  it('describes questions with titles, pages, labels and sources', () => {
    const result = checkDefinition(fixture);
    if (!result.ok) throw new Error('expected ok');
    const q = new Map(result.codebook.questions.map((x) => [x.name, x]));
    expect(q.get('age')).toMatchObject({
      type: 'text',
      title: 'Age',
      page: 0,
      inputType: 'number',
      min: 0,
      max: 120,
    });
    expect(q.get('country')?.title).toBe('country');
    expect(q.get('color')).toMatchObject({
      hasOther: true,
      choices: [
        { value: 'red', label: 'red' },
        { value: 'green', label: 'green' },
        { value: 'blue', label: 'Blue' },
      ],
    });
    expect(q.get('satisfied')?.choices?.map((c) => c.value)).toEqual([1, 2, 3, 4, 5]);
    expect(q.get('kiwi_taste')).toMatchObject({
      page: 2,
      choices: [{ value: 'sweet' }, { value: 'sour' }, { value: 3, label: 'both' }],
    });
    expect(q.get('grid')).toMatchObject({ rows: [{ value: 'r1' }, { value: 'r2' }, { value: 'r3' }] });
    expect(q.get('jobs')?.cells?.map((c) => [c.name, c.type])).toEqual([
      ['title', 'text'],
      ['years', 'dropdown'],
      ['remote', 'boolean'],
    ]);
    expect(q.has('kiwi_intro')).toBe(false);
    const columns = new Map(result.codebook.columns.map((c) => [c.name, c]));
    expect(columns.get('fruits__kiwi')).toEqual({
      name: 'fruits__kiwi',
      label: 'fruits: kiwi',
      source: { kind: 'choice', question: 'fruits', value: 'kiwi' },
      measure: 'nominal',
      valueType: 'numeric',
    });
    expect(columns.get('color__other')?.source).toEqual({ kind: 'other', question: 'color' });
    expect(columns.get('jobs__before__years')?.source).toEqual({
      kind: 'cell',
      question: 'jobs',
      row: 'before',
      column: 'years',
    });
    expect(columns.get('priorities__speed')?.source).toEqual({
      kind: 'rank',
      question: 'priorities',
      value: 'speed',
    });
    expect(columns.get('grid__r2')).toMatchObject({
      source: { kind: 'key', question: 'grid', key: 'r2' },
      measure: 'ordinal',
    });
    expect(columns.get('contact')).toMatchObject({
      valueType: 'numeric',
      valueLabels: [
        { value: 1, label: 'Yes' },
        { value: 0, label: 'No' },
      ],
    });
  });
});
