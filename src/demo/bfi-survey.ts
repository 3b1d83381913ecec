import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { EnqueteError } from '../kernel/index.ts';

const defaultDir = fileURLToPath(new URL('../../demo-data/bfi/', import.meta.url));

/** The five traits in the order of the items (A, C, E, N, O), each one page. */
const TRAITS = ['A', 'C', 'E', 'N', 'O'] as const;

interface ItemRow {
  variable: string;
  Item: string;
  Big6: string;
}

interface CodeRow {
  variable: string;
  code: string;
  label: string;
}

function readCsv<T>(dir: string, file: string): T[] {
  const path = join(dir, file);
  return parse(readFileSync(path), { bom: true, columns: true, skip_empty_lines: true }) as T[];
}

function labelsOf(codes: CodeRow[], variable: string): { value: number; text: string }[] {
  const rows = codes.filter((row) => row.variable === variable);
  if (rows.length === 0) {
    throw new EnqueteError('DEMO_DATA_INVALID', 'internal', `bfi-codes.csv has no labels for ${variable}`);
  }
  return rows.map((row) => ({ value: Number(row.code), text: row.label }));
}

/**
 * The Big Five Inventory demo survey as SurveyJS JSON text, built from `bfi-items.csv` (real item
 * wording) and `bfi-codes.csv` (value labels): 25 rating questions named A1…O5 with the 1–6 scale,
 * one page per trait, then gender, education and age. Nothing is required, because the real data
 * has missing answers; age accepts 1–120 because the real data holds an age of 3.
 *
 * @example
 * const survey = await surveys.importSurvey({ source: bfiSurveySource(), actor: 'demo', publish: true });
 */
export function bfiSurveySource(dir: string = defaultDir): string {
  const items = readCsv<ItemRow>(dir, 'bfi-items.csv');
  const codes = readCsv<CodeRow>(dir, 'bfi-codes.csv');
  const pages = TRAITS.map((trait) => {
    const rows = items.filter((row) => /^[ACENO][1-5]$/.test(row.variable) && row.variable.startsWith(trait));
    if (rows.length !== 5) {
      throw new EnqueteError(
        'DEMO_DATA_INVALID',
        'internal',
        `bfi-items.csv should hold 5 items of ${trait}`,
      );
    }
    return {
      name: `trait_${trait}`,
      title: rows[0]?.Big6 ?? trait,
      description: 'How accurately does each statement describe you?',
      elements: rows.map((row) => ({
        type: 'rating',
        name: row.variable,
        title: row.Item,
        rateValues: labelsOf(codes, row.variable),
      })),
    };
  });
  const about = {
    name: 'about_you',
    title: 'About you',
    elements: [
      { type: 'radiogroup', name: 'gender', title: 'Gender', choices: labelsOf(codes, 'gender') },
      { type: 'radiogroup', name: 'education', title: 'Education', choices: labelsOf(codes, 'education') },
      { type: 'text', name: 'age', title: 'Age in years', inputType: 'number', min: 1, max: 120 },
    ],
  };
  const survey = {
    title: 'Big Five Inventory (IPIP, SAPA 2010)',
    description:
      '25 items of the International Personality Item Pool (Goldberg 1999) as used by the SAPA project (Revelle et al. 2010).',
    timezone: 'UTC',
    estimatedMinutes: 5,
    pages: [...pages, about],
  };
  return JSON.stringify(survey, null, 2);
}
