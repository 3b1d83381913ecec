import { describe, expect, it } from 'vitest';
import { parseSegment } from '../../src/panel/segment.ts';

/** The SEGMENT_INVALID details of a bad expression. */
function failure(expression: string): { column: number; message: string } {
  try {
    parseSegment(expression);
  } catch (e) {
    expect((e as { code: string }).code).toBe('SEGMENT_INVALID');
    const details = (e as { details: { column: number; message: string } }).details;
    expect((e as Error).message).toBe(`column ${details.column}: ${details.message}`);
    return details;
  }
  throw new Error(`${expression} parsed`);
}

const f = (name: string, column: number) => ({ name, column });

describe('segment parser', () => {
  it('parses the example of the issue, and binds and tighter than or', () => {
    expect(parseSegment("specialty in ('cardiology', 'oncology') and age >= 40 or region = 'Kanto'")).toEqual(
      {
        type: 'or',
        operands: [
          {
            type: 'and',
            operands: [
              {
                type: 'in',
                field: f('specialty', 1),
                negated: false,
                values: [
                  { kind: 'string', text: 'cardiology', column: 15 },
                  { kind: 'string', text: 'oncology', column: 29 },
                ],
              },
              {
                type: 'compare',
                field: f('age', 45),
                op: '>=',
                value: { kind: 'number', text: '40', column: 52 },
              },
            ],
          },
          {
            type: 'compare',
            field: f('region', 58),
            op: '=',
            value: { kind: 'string', text: 'Kanto', column: 67 },
          },
        ],
      },
    );
  });

  it('reads not, parentheses, every operator, keywords in any case, quoted names and escapes', () => {
    expect(
      parseSegment(
        `NOT ("my attr" <> 'it''s' Or x Is Not Empty) and d < 2024-04-01 and n not in (-1.5, 2e3) and t not contains '東京' and e is empty and all`,
      ),
    ).toEqual({
      type: 'and',
      operands: [
        {
          type: 'not',
          operand: {
            type: 'or',
            operands: [
              {
                type: 'compare',
                field: f('my attr', 6),
                op: '!=',
                value: { kind: 'string', text: "it's", column: 19 },
              },
              { type: 'empty', field: f('x', 30), negated: true },
            ],
          },
        },
        {
          type: 'compare',
          field: f('d', 50),
          op: '<',
          value: { kind: 'date', text: '2024-04-01', column: 54 },
        },
        {
          type: 'in',
          field: f('n', 69),
          negated: true,
          values: [
            { kind: 'number', text: '-1.5', column: 79 },
            { kind: 'number', text: '2e3', column: 85 },
          ],
        },
        {
          type: 'contains',
          field: f('t', 94),
          negated: true,
          value: { kind: 'string', text: '東京', column: 109 },
        },
        { type: 'empty', field: f('e', 118), negated: false },
        { type: 'all' },
      ],
    });
    for (const op of ['=', '!=', '<', '<=', '>', '>='] as const) {
      expect(parseSegment(`a ${op} 1`)).toMatchObject({ type: 'compare', op });
    }
  });

  it('names the column of every syntax error', () => {
    expect(failure('age >= 40 and x >= ')).toEqual({ column: 20, message: "expected a value after '>='" });
    expect(failure('gender = 2 and age >= and x = 1')).toEqual({
      column: 23,
      message: "expected a value after '>=', found 'and'",
    });
    expect(failure('')).toEqual({ column: 1, message: 'the segment is empty; write all for every member' });
    expect(failure('   ')).toEqual({
      column: 1,
      message: 'the segment is empty; write all for every member',
    });
    expect(failure("region = 'Kanto")).toEqual({
      column: 10,
      message: 'the string that starts here is never closed',
    });
    expect(failure('"my attr = 1')).toEqual({
      column: 1,
      message: 'the quoted name that starts here is never closed',
    });
    expect(failure('age >= 40 # comment')).toEqual({ column: 11, message: "unexpected character '#'" });
    expect(failure('age 40')).toEqual({
      column: 5,
      message:
        "expected =, !=, <, <=, >, >=, in, not in, is empty, is not empty or contains after 'age', found '40'",
    });
    expect(failure('(age >= 40 and x = 1')).toEqual({
      column: 21,
      message: "expected ')' to close the '(' of column 1",
    });
    expect(failure('age >= 40)')).toEqual({
      column: 10,
      message: "expected 'and', 'or' or the end of the segment, found ')'",
    });
    expect(failure('age in 1, 2')).toEqual({ column: 8, message: "expected '(' after 'in', found '1'" });
    expect(failure('age in (1 2)')).toEqual({
      column: 11,
      message: "expected ',' or ')' in the list, found '2'",
    });
    expect(failure('age in ()')).toEqual({ column: 9, message: "expected a value after '(', found ')'" });
    expect(failure('x is full')).toEqual({ column: 6, message: "expected 'empty' after 'is', found 'full'" });
    expect(failure('x not = 1')).toEqual({
      column: 7,
      message: "expected 'in' or 'contains' after 'not', found '='",
    });
    expect(failure('and = 1')).toEqual({
      column: 1,
      message: "expected an attribute name, 'not' or '(', found 'and'",
    });
    expect(failure('age >= 40abc')).toEqual({ column: 10, message: "unexpected 'a' after 40" });
    expect(failure('d = 2024-04-01T00')).toEqual({ column: 15, message: "unexpected 'T' after 2024-04-01" });
    expect(failure('x = - 1')).toEqual({ column: 5, message: "unexpected character '-'" });
    expect(failure("x = 'a' and or")).toEqual({
      column: 13,
      message: "expected an attribute name, 'not' or '(', found 'or'",
    });
  });

  it('bounds length, nesting and list size', () => {
    expect(failure(`x = '${'a'.repeat(10_000)}'`).column).toBe(10_001);
    expect(failure(`${'('.repeat(101)}x = 1${')'.repeat(101)}`)).toEqual({
      column: 101,
      message: "the segment nests too deeply, found '('",
    });
    expect(parseSegment(`${'('.repeat(50)}x = 1${')'.repeat(50)}`)).toMatchObject({ type: 'compare' });
    const values = Array.from({ length: 1001 }, (_, i) => String(i));
    expect(failure(`x in (${values.join(', ')})`).message).toBe(
      "a list holds at most 1000 values, found '1000'",
    );
    expect(parseSegment(`x in (${values.slice(0, 1000).join(', ')})`)).toMatchObject({ type: 'in' });
  });
});
