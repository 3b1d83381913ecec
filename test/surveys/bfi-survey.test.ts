import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { bfiSurveySource } from '../../src/demo/bfi-survey.ts';
import { checkDefinition, compileSurvey } from '../../src/surveys/index.ts';

const dir = new URL('../../demo-data/bfi/', import.meta.url);

function checked() {
  const result = checkDefinition(bfiSurveySource());
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result;
}

describe('BFI demo survey', () => {
  it('has the 25 items, gender, education and age as columns named like bfi.csv', () => {
    const { codebook, title } = checked();
    expect(title).toBe('Big Five Inventory (IPIP, SAPA 2010)');
    const header = readFileSync(new URL('bfi.csv', dir), 'utf8').split('\n')[0]?.trim().split(',') ?? [];
    expect(codebook.columns.map((c) => c.name)).toEqual(header.slice(1));
  });

  it('uses the real wording and the labelled 1–6 scale', () => {
    const { codebook, document } = checked();
    const byName = new Map(codebook.questions.map((q) => [q.name, q]));
    // Read by hand from bfi-items.csv and bfi-codes.csv.
    expect(byName.get('A1')?.title).toBe('Am indifferent to the feelings of others.');
    expect(byName.get('O5')?.title).toBe('Will not probe deeply into a subject.');
    expect(byName.get('N4')).toMatchObject({ type: 'rating', page: 3 });
    expect(byName.get('C3')?.choices).toEqual([
      { value: 1, label: 'Very Inaccurate' },
      { value: 2, label: 'Moderately Inaccurate' },
      { value: 3, label: 'Slightly Inaccurate' },
      { value: 4, label: 'Slightly Accurate' },
      { value: 5, label: 'Moderately Accurate' },
      { value: 6, label: 'Very Accurate' },
    ]);
    expect(byName.get('gender')?.choices).toEqual([
      { value: 1, label: 'Males' },
      { value: 2, label: 'Females' },
    ]);
    expect(byName.get('education')?.choices?.map((c) => c.label)).toEqual([
      'HS',
      'finished HS',
      'some college',
      'college graduate',
      'graduate degree',
    ]);
    expect(byName.get('age')).toMatchObject({ type: 'text', inputType: 'number', min: 1, max: 120 });
    const pages = document.surveyjs['pages'] as { title: string }[];
    expect(pages.map((p) => p.title)).toEqual([
      'Agreeableness',
      'Conscientiousness',
      'Extraversion',
      'Emotional Stability',
      'Openness',
      'About you',
    ]);
  });

  it('accepts every one of the 2,800 real respondents unchanged', () => {
    const { document, codebook } = checked();
    const compiled = compileSurvey({ surveyId: 'sv_bfi', version: 1, document, codebook });
    const rows = parse(readFileSync(new URL('bfi.csv', dir)), {
      columns: true,
      skip_empty_lines: true,
    }) as Record<string, string>[];
    expect(rows.length).toBe(2800);
    let missing = 0;
    for (const row of rows) {
      const data: Record<string, number> = {};
      for (const [key, cell] of Object.entries(row)) {
        if (key === 'respondent_id') continue;
        if (cell === '') missing++;
        else data[key] = Number(cell);
      }
      const result = compiled.validate(data, 'complete');
      expect(result.issues, row['respondent_id']).toEqual([]);
      expect(result.data).toEqual(data);
    }
    // The data set has missing values, so no item can be required: 731 empty cells (counted with
    // awk), 223 of them in education.
    expect(missing).toBe(731);
  });

  it('rejects what the scale does not allow', () => {
    const { document, codebook } = checked();
    const compiled = compileSurvey({ surveyId: 'sv_bfi', version: 1, document, codebook });
    const result = compiled.validate({ A1: 7, gender: 3, age: 0, E2: '4' }, 'complete');
    expect(result.issues.map((i) => [i.question, i.code])).toEqual([
      ['A1', 'NOT_A_CHOICE'],
      ['E2', 'NOT_A_CHOICE'],
      ['gender', 'NOT_A_CHOICE'],
      ['age', 'OUT_OF_RANGE'],
    ]);
  });
});
