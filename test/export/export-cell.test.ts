import { describe, expect, it } from 'vitest';
import { exportCell } from '../../src/responses/export-cell.ts';
import type { ExportColumn } from '../../src/surveys/types.ts';

const scale = [
  { value: 1, label: 'Low' },
  { value: 2, label: 'High' },
];

function column(source: ExportColumn['source'], valueLabels?: ExportColumn['valueLabels']): ExportColumn {
  return {
    name: 'c',
    label: 'c',
    source,
    measure: 'nominal',
    valueType: 'numeric',
    ...(valueLabels ? { valueLabels } : {}),
  };
}

describe('export cells', () => {
  it('writes scalars, joins arrays with ; and writes booleans as 1/0', () => {
    expect(exportCell(column({ kind: 'value', question: 'q' }), { q: 3 }, false)).toBe('3');
    expect(exportCell(column({ kind: 'value', question: 'q' }), { q: 'x,y' }, false)).toBe('x,y');
    expect(exportCell(column({ kind: 'value', question: 'q' }), { q: [1, 'b', 3] }, false)).toBe('1;b;3');
    expect(exportCell(column({ kind: 'value', question: 'q' }), { q: true }, false)).toBe('1');
    expect(exportCell(column({ kind: 'value', question: 'q' }), { q: false }, false)).toBe('0');
    expect(exportCell(column({ kind: 'value', question: 'q' }), { q: 0 }, false)).toBe('0');
  });

  it('leaves missing answers empty', () => {
    expect(exportCell(column({ kind: 'value', question: 'q' }), {}, false)).toBe('');
    expect(exportCell(column({ kind: 'choice', question: 'q', value: 1 }), {}, false)).toBe('');
    expect(exportCell(column({ kind: 'key', question: 'm', key: 'r1' }), { m: { r2: 1 } }, false)).toBe('');
    expect(exportCell(column({ kind: 'rank', question: 'r', value: 'a' }), {}, false)).toBe('');
  });

  it('marks selected choices 1 and unselected 0', () => {
    const c = column({ kind: 'choice', question: 'q', value: 2 });
    expect(exportCell(c, { q: [1, 2] }, false)).toBe('1');
    expect(exportCell(c, { q: [1] }, false)).toBe('0');
    expect(exportCell(c, { q: [] }, false)).toBe('0');
  });

  it('reads matrix rows, matrixdropdown cells, ranks and other text', () => {
    expect(exportCell(column({ kind: 'key', question: 'm', key: 'r1' }), { m: { r1: 2 } }, false)).toBe('2');
    const cell = column({ kind: 'cell', question: 'md', row: 'r1', column: 'c2' });
    expect(exportCell(cell, { md: { r1: { c2: [1, 2] } } }, false)).toBe('1;2');
    expect(exportCell(cell, { md: { r2: { c2: 1 } } }, false)).toBe('');
    const rank = column({ kind: 'rank', question: 'r', value: 'b' });
    expect(exportCell(rank, { r: ['c', 'b', 'a'] }, false)).toBe('2');
    expect(exportCell(rank, { r: ['c', 'a'] }, false)).toBe('');
    expect(
      exportCell(column({ kind: 'other', question: 'q' }), { q: 'other', 'q-Comment': '自由' }, false),
    ).toBe('自由');
  });

  it('writes labels where the column has value labels, codes elsewhere', () => {
    expect(exportCell(column({ kind: 'value', question: 'q' }, scale), { q: 2 }, true)).toBe('High');
    expect(exportCell(column({ kind: 'value', question: 'q' }, scale), { q: 2 }, false)).toBe('2');
    expect(exportCell(column({ kind: 'value', question: 'q' }, scale), { q: [1, 2] }, true)).toBe('Low;High');
    expect(exportCell(column({ kind: 'value', question: 'q' }, scale), { q: 9 }, true)).toBe('9');
    expect(exportCell(column({ kind: 'value', question: 'q' }), { q: 2 }, true)).toBe('2');
    expect(exportCell(column({ kind: 'value', question: 'q' }, scale), {}, true)).toBe('');
    expect(exportCell(column({ kind: 'key', question: 'm', key: 'r' }, scale), { m: { r: 1 } }, true)).toBe(
      'Low',
    );
    const cell = column({ kind: 'cell', question: 'md', row: 'r', column: 'c' }, scale);
    expect(exportCell(cell, { md: { r: { c: [2, 1] } } }, true)).toBe('High;Low');
    const yesNo = [
      { value: 0, label: 'No' },
      { value: 1, label: 'Yes' },
    ];
    expect(exportCell(column({ kind: 'value', question: 'b' }, yesNo), { b: true }, true)).toBe('Yes');
    expect(exportCell(column({ kind: 'choice', question: 'q', value: 1 }, yesNo), { q: [3] }, true)).toBe(
      'No',
    );
  });

  it('puts a quote before free text that a spreadsheet would run, and leaves numbers and codes alone', () => {
    const text = column({ kind: 'value', question: 'q' });
    const payload = '=HYPERLINK("http://evil","x")';
    expect(exportCell(text, { q: payload }, false)).toBe(`'${payload}`);
    expect(exportCell(text, { q: '+1 555 0100' }, false)).toBe("'+1 555 0100");
    expect(exportCell(text, { q: '@SUM(A1)' }, false)).toBe("'@SUM(A1)");
    expect(exportCell(text, { q: '-2 days' }, false)).toBe("'-2 days");
    expect(exportCell(text, { q: '\tcmd' }, false)).toBe("'\tcmd");
    expect(exportCell(text, { q: '\rcmd' }, false)).toBe("'\rcmd");
    // The escape itself is escaped, so one leading quote removed gives back any text.
    expect(exportCell(text, { q: "'tis" }, false)).toBe("''tis");
    expect(exportCell(text, { q: 'a=b' }, false)).toBe('a=b');
    // Numbers, booleans, lists of codes and the codes of a coded column are data, not text.
    expect(exportCell(text, { q: -1 }, false)).toBe('-1');
    expect(exportCell(text, { q: -5.5 }, true)).toBe('-5.5');
    expect(exportCell(text, { q: ['-a', 'b'] }, false)).toBe('-a;b');
    const coded = column({ kind: 'value', question: 'q' }, [
      { value: '-x', label: 'Minus x' },
      { value: -1, label: "Don't know" },
      { value: '=y', label: '=Y' },
    ]);
    expect(exportCell(coded, { q: '-x' }, false)).toBe('-x');
    expect(exportCell(coded, { q: -1 }, false)).toBe('-1');
    expect(exportCell(coded, { q: '=y' }, false)).toBe('=y');
    expect(exportCell(coded, { q: '=z' }, false)).toBe("'=z");
    // Labels are text an author wrote: escaped; a code without a label stays as it is.
    expect(exportCell(coded, { q: '=y' }, true)).toBe("'=Y");
    expect(exportCell(coded, { q: '-x' }, true)).toBe('Minus x');
    expect(exportCell(coded, { q: -7 }, true)).toBe('-7');
    expect(exportCell(coded, { q: ['=y', '-x'] }, true)).toBe("'=Y;Minus x");
    expect(exportCell(coded, { q: ['-x', '=y'] }, true)).toBe('Minus x;=Y');
    expect(exportCell(coded, { q: [-3, '=y'] }, true)).toBe('-3;=Y');
    const other = column({ kind: 'other', question: 'q' });
    expect(exportCell(other, { q: 'other', 'q-Comment': '@SUM(A1)' }, false)).toBe("'@SUM(A1)");
    const item = column({ kind: 'key', question: 'm', key: 'phone' });
    expect(exportCell(item, { m: { phone: '+1 555' } }, true)).toBe("'+1 555");
    expect(exportCell(item, { m: { phone: -2 } }, true)).toBe('-2');
    const cell = column({ kind: 'cell', question: 'md', row: 'r', column: 'c' });
    expect(exportCell(cell, { md: { r: { c: '=1+1' } } }, false)).toBe("'=1+1");
    expect(exportCell(cell, { md: { r: { c: -4 } } }, false)).toBe('-4');
  });
});
