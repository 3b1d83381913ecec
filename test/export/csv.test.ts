import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvField, csvRecord } from '../../src/responses/index.ts';

describe('RFC 4180 encoding', () => {
  it('leaves plain fields alone and ends records with CRLF', () => {
    expect(csvRecord(['a', '1', ''])).toBe('a,1,\r\n');
  });

  it('quotes commas, quotes, CR and LF, doubling inner quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line1\nline2')).toBe('"line1\nline2"');
    expect(csvField('cr\ronly')).toBe('"cr\ronly"');
    expect(csvField('"')).toBe('""""');
    expect(csvField('日本語のテキスト、「引用」')).toBe('日本語のテキスト、「引用」');
  });

  it('round-trips awkward text through an independent parser', () => {
    const rows = [
      ['id', 'text'],
      ['1', 'commas, inside, text'],
      ['2', 'a "quoted" word'],
      ['3', 'two\r\nlines and\nanother'],
      ['4', '日本語のテキスト、「引用」'],
      ['5', ''],
      ['6', ' leading and trailing spaces '],
      ['7', '"'],
    ];
    const text = rows.map(csvRecord).join('');
    expect(parse(text, { record_delimiter: '\r\n' })).toEqual(rows);
  });
});
