import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { sharedDataDir } from '../helpers/shared-data.ts';

/** The shared real datasets (see their README and test/helpers/shared-data.ts). */
export const dataDir = sharedDataDir;
export const anes96Path = new URL('anes96/anes96.csv', dataDir);
export const bfiPath = new URL('bfi/bfi.csv', dataDir);

/**
 * anes96.csv read without a CSV library: tab-separated, header names in single quotes, integers,
 * LF line ends and nothing missing (per the data README).
 */
export function readAnes96(): { columns: string[]; rows: number[][] } {
  const lines = readFileSync(anes96Path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const columns = lines[0]!.split('\t').map((h) => h.replace(/^'(.*)'$/, '$1'));
  return { columns, rows: lines.slice(1).map((l) => l.split('\t').map(Number)) };
}

/** bfi.csv read by splitting on commas: it has no quoted fields; an empty cell is missing (null). */
export function readBfi(): { columns: string[]; rows: Record<string, number | null>[] } {
  const lines = readFileSync(bfiPath, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const columns = lines[0]!.split(',');
  const rows = lines.slice(1).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] === '' ? null : Number(cells[i])]));
  });
  return { columns, rows };
}

/** A CSV/TSV text as the stream an import reads, cut into small chunks to cross chunk borders. */
export function textStream(text: string | Buffer, chunkSize = 7): Readable {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}
