import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { EnqueteError } from '../kernel/index.ts';

/** One respondent of bfi.csv: its id and its answers as numeric codes (missing cells left out). */
export interface BfiRespondent {
  respondentId: string;
  data: Record<string, number>;
}

/**
 * Reads `bfi.csv` (respondent_id + 28 variables, empty cell = missing) from the demo data folder.
 *
 * @example
 * const respondents = readBfiRespondents('demo-data/bfi'); // 2,800 of them
 */
export function readBfiRespondents(dir: string): BfiRespondent[] {
  const path = join(dir, 'bfi.csv');
  const records = parse(readFileSync(path), { bom: true, columns: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  return records.map((record, index) => {
    const { respondent_id: respondentId, ...answers } = record;
    if (!respondentId) throw badFile(path, index, 'respondent_id is empty');
    const data: Record<string, number> = {};
    for (const [name, cell] of Object.entries(answers)) {
      if (cell === '') continue;
      const code = Number(cell);
      if (!Number.isFinite(code)) throw badFile(path, index, `${name} is not a number: ${cell}`);
      data[name] = code;
    }
    return { respondentId, data };
  });
}

function badFile(path: string, index: number, message: string): EnqueteError {
  // index 0 is the first data row, which is line 2 of the file.
  return new EnqueteError('DEMO_DATA_INVALID', 'internal', `${path}:${index + 2}: ${message}`);
}
