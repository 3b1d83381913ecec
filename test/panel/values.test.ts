import { describe, expect, it } from 'vitest';
import { sniffDelimiter } from '../../src/panel/csv-records.ts';
import { planHeader } from '../../src/panel/header.ts';
import { isIsoDate, isNumberText, splitList, TypeInference, typedValue } from '../../src/panel/values.ts';

describe('attribute values', () => {
  it('reads plain decimal numbers and leaves codes as text', () => {
    for (const n of ['0', '42', '-7', '1.5', '-0.25', '2e3', '6.02E23']) expect(isNumberText(n)).toBe(true);
    for (const t of ['007', '+81', '1.', '.5', '1,000', '1 000', '0x1f', 'NaN', 'Infinity', '1e999', ''])
      expect(isNumberText(t)).toBe(false);
  });

  it('reads calendar dates written YYYY-MM-DD only', () => {
    for (const d of ['2024-02-29', '2023-12-31', '1900-01-01']) expect(isIsoDate(d)).toBe(true);
    for (const t of [
      '2023-02-29',
      '2024-13-01',
      '2024-00-10',
      '2024-04-31',
      '2024-4-1',
      '2024/04/01',
      '20240401',
    ])
      expect(isIsoDate(t)).toBe(false);
  });

  it('splits lists on |, trimming, dropping empty and repeated elements', () => {
    expect(splitList(' cardiology | oncology||cardiology ')).toEqual(['cardiology', 'oncology']);
    expect(splitList('|')).toEqual([]);
  });

  it('infers list, number, date, then text over all values of a column', () => {
    const infer = (values: string[]) => {
      const t = new TypeInference();
      for (const v of values) t.add(v);
      return t.result();
    };
    expect(infer([])).toBeNull();
    expect(infer(['1', '2.5', '-3'])).toBe('number');
    expect(infer(['2024-01-01', '2023-12-31'])).toBe('date');
    expect(infer(['1', '2024-01-01'])).toBe('text');
    expect(infer(['12', '007'])).toBe('text');
    expect(infer(['a', 'b|c', '3'])).toBe('list');
  });

  it('shows stored text typed', () => {
    expect(typedValue('40', 'number')).toBe(40);
    expect(typedValue('a|b', 'list')).toEqual(['a', 'b']);
    expect(typedValue('a|b', 'text')).toBe('a|b');
    expect(typedValue('2024-04-01', 'date')).toBe('2024-04-01');
  });
});

describe('file layout', () => {
  it('picks a tab when the header line has more tabs than commas', () => {
    expect(sniffDelimiter(Buffer.from("'popul'\t'TVnews'\n0\t7\n"))).toBe('\t');
    expect(sniffDelimiter(Buffer.from('a,b\tc,d\n'))).toBe(',');
    expect(sniffDelimiter(Buffer.from('\ufeffexternal_id,email'))).toBe(',');
  });

  it('maps the key, member fields, quoted names and declared types', () => {
    const plan = planHeader([' id ', 'Email', 'NAME', "'age'", 'joined:date', 'tags : list', 'x:y'], 'id');
    expect(plan).toEqual({
      width: 7,
      keyIndex: 0,
      keyName: 'id',
      emailIndex: 1,
      nameIndex: 2,
      attributes: [
        { index: 3, key: 'age', declared: null },
        { index: 4, key: 'joined', declared: 'date' },
        { index: 5, key: 'tags', declared: 'list' },
        { index: 6, key: 'x:y', declared: null },
      ],
    });
  });

  it('refuses a header it cannot map', () => {
    const code = (cells: string[], key = 'external_id') => {
      try {
        planHeader(cells, key);
        return 'ok';
      } catch (e) {
        return `${(e as { code: string }).code}: ${(e as Error).message}`;
      }
    };
    expect(code(['id', 'age'])).toBe(
      'MEMBERS_CSV_INVALID: the header has no column external_id: name the key column with --key COLUMN, or number members by line with --key @line',
    );
    expect(code(['external_id', 'age', "'age'"])).toBe(
      'MEMBERS_CSV_INVALID: the header names age twice (columns 2 and 3)',
    );
    expect(code(['external_id', '', 'b'])).toBe('MEMBERS_CSV_INVALID: column 2 of the header has no name');
    expect(code(['id', 'external_id'], 'id')).toBe(
      'MEMBERS_CSV_INVALID: column external_id clashes with the member field of that name; rename it or make it the key',
    );
    expect(code(['a', 'b'], '@line')).toBe('ok');
  });
});
