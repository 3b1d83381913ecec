import { pipeline, Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { ImportSource } from './types.ts';

/** A record of the file with the line it starts on, or the error that ends the reading. */
export type CsvItem = { line: number; fields: string[] } | { line: number; fatal: string };

/** Bytes read from the source so far; the reader updates it as chunks go to the parser. */
export interface ByteCounter {
  bytes: number;
}

// A record this long is a quote left open, not a member.
const maxRecordBytes = 1 << 20;
const sniffBytes = 64 * 1024;

function toBuffer(chunk: Buffer | string | Uint8Array): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
}

/** Tab when the first line has more tabs than commas, else comma. */
export function sniffDelimiter(head: Buffer): ',' | '\t' {
  const end = head.indexOf(0x0a);
  const line = head.subarray(0, end === -1 ? head.length : end).toString('utf8');
  let tabs = 0;
  let commas = 0;
  for (const ch of line) {
    if (ch === '\t') tabs++;
    else if (ch === ',') commas++;
  }
  return tabs > commas ? '\t' : ',';
}

/** Line breaks in a text: CRLF, LF and a lone CR each count once. */
function lineBreaks(text: string, leadingOnly = false): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x0a || (ch === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) n++;
    else if (leadingOnly && ch !== 0x0d) break;
  }
  return n;
}

function fatalReason(error: { code?: string; message: string }): string {
  const rest = 'nothing from this line to the end of the file was imported';
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') return `a quoted field is never closed; ${rest}`;
  if (error.code === 'CSV_MAX_RECORD_SIZE') return `record longer than 1 MiB (a quote left open?); ${rest}`;
  return `${error.message}; ${rest}`;
}

/**
 * Streams the records of a CSV/TSV source (RFC 4180 quoting, UTF-8 with or without BOM, LF or
 * CRLF), each with the line it starts on. Quotes inside an unquoted field are kept as text rather
 * than failing the record, as spreadsheets write them. An error that makes the rest of the file
 * unreadable (a quote never closed) ends the stream with a `fatal` item.
 *
 * @example
 * for await (const item of readCsvRecords(createReadStream('members.csv'), { bytes: 0 })) {
 *   if ('fields' in item) console.log(item.line, item.fields);
 * }
 */
export async function* readCsvRecords(
  source: ImportSource,
  counter: ByteCounter,
  delimiter?: ',' | '\t',
): AsyncGenerator<CsvItem> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  while (delimiter === undefined) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = toBuffer(next.value);
    head.push(chunk);
    headLength += chunk.length;
    if (chunk.includes(0x0a) || headLength >= sniffBytes) break;
  }
  const chosen = delimiter ?? sniffDelimiter(Buffer.concat(head));

  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (const chunk of head) {
        counter.bytes += chunk.length;
        yield chunk;
      }
      while (!ended) {
        const next = await iterator.next();
        if (next.done) return;
        const chunk = toBuffer(next.value);
        counter.bytes += chunk.length;
        yield chunk;
      }
    } finally {
      await iterator.return?.();
    }
  }

  const parser = parse({
    delimiter: chosen,
    bom: true,
    info: true,
    raw: true,
    relax_column_count: true,
    relax_quotes: true,
    // Blanks around a quoted field (`a, "b, c"`) do not make it unquoted.
    trim: true,
    skip_empty_lines: true,
    max_record_size: maxRecordBytes,
    // A broken record is reported through 'skip' instead of destroying the stream, which would drop
    // the good records still buffered before it.
    skip_records_with_error: true,
  });
  let broken: { reason: string; raw: string; recordsBefore: number } | null = null;
  parser.on('skip', (error: { code?: string; message: string; raw?: string }) => {
    broken ??= { reason: fatalReason(error), raw: error.raw ?? '', recordsBefore: parser.info.records };
  });
  // Errors of the source surface in the loop below, through the parser.
  pipeline(Readable.from(chunks()), parser, () => {});
  // csv-parse counts a CRLF inside quotes as two lines, so lines are counted here from the raw text.
  let linesBefore = 0;
  const fatal = (b: { reason: string; raw: string }): CsvItem => ({
    line: linesBefore + 1 + lineBreaks(b.raw, true),
    fatal: b.reason,
  });
  type Parsed = { record: string[]; raw: string; info: { records: number } };
  for await (const item of parser as AsyncIterable<Parsed>) {
    const current = broken as { reason: string; raw: string; recordsBefore: number } | null;
    if (current && item.info.records > current.recordsBefore) break;
    yield { line: linesBefore + 1 + lineBreaks(item.raw, true), fields: item.record };
    linesBefore += lineBreaks(item.raw);
  }
  if (broken) yield fatal(broken);
}
