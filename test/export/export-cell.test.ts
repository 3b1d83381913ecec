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
});
