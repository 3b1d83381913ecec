import { panelErrors } from './errors.ts';
import { type Token, tokenize } from './segment-tokens.ts';

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** A value written in the expression: `'text'`, `42`, `-1.5` or `2024-04-01`. */
export interface Literal {
  kind: 'string' | 'number' | 'date';
  text: string;
  column: number;
}

/** An attribute or member field (`external_id`, `email`, `name`) named in the expression. */
export interface FieldRef {
  name: string;
  column: number;
}

export type SegmentNode =
  | { type: 'all' }
  | { type: 'and' | 'or'; operands: SegmentNode[] }
  | { type: 'not'; operand: SegmentNode }
  | { type: 'compare'; field: FieldRef; op: CompareOp; value: Literal }
  | { type: 'in'; field: FieldRef; negated: boolean; values: Literal[] }
  | { type: 'empty'; field: FieldRef; negated: boolean }
  | { type: 'contains'; field: FieldRef; negated: boolean; value: Literal };

/** A node that tests one attribute or member field. */
export type Predicate = Extract<SegmentNode, { field: FieldRef }>;

export const segmentLimits = { length: 10_000, depth: 100, listValues: 1000 };

const keywords = new Set(['and', 'or', 'not', 'in', 'is', 'empty', 'contains', 'all']);
const comparisons = 'expected =, !=, <, <=, >, >=, in, not in, is empty, is not empty or contains';

function describe(token: Token): string {
  if (token.kind === 'end') return 'the end';
  if (token.kind === 'string') return `'${token.text}'`;
  return token.kind === 'word' && token.quoted ? `"${token.text}"` : `'${token.text}'`;
}

/** Recursive descent over the token list; each method reads one rule of the grammar in docs/panel.md. */
class Parser {
  readonly #tokens: Token[];
  #at = 0;
  #depth = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  /** The current token; a method rather than a getter, so checks on it are not narrowed across moves. */
  #peek(): Token {
    return this.#tokens[this.#at]!;
  }

  #isKeyword(word: string, token: Token = this.#peek()): boolean {
    return token.kind === 'word' && !token.quoted && token.text.toLowerCase() === word;
  }

  #fail(message: string, token: Token = this.#peek()): never {
    const found = token.kind === 'end' ? '' : `, found ${describe(token)}`;
    throw panelErrors.segmentInvalid(token.column, `${message}${found}`);
  }

  parseAll(): SegmentNode {
    if (this.#peek().kind === 'end') {
      throw panelErrors.segmentInvalid(1, 'the segment is empty; write all for every member');
    }
    const node = this.#or();
    if (this.#peek().kind !== 'end') this.#fail("expected 'and', 'or' or the end of the segment");
    return node;
  }

  #or(): SegmentNode {
    const operands = [this.#and()];
    while (this.#isKeyword('or')) {
      this.#at++;
      operands.push(this.#and());
    }
    return operands.length === 1 ? operands[0]! : { type: 'or', operands };
  }

  #and(): SegmentNode {
    const operands = [this.#unary()];
    while (this.#isKeyword('and')) {
      this.#at++;
      operands.push(this.#unary());
    }
    return operands.length === 1 ? operands[0]! : { type: 'and', operands };
  }

  #unary(): SegmentNode {
    if (++this.#depth > segmentLimits.depth) this.#fail('the segment nests too deeply');
    try {
      if (this.#isKeyword('not')) {
        this.#at++;
        return { type: 'not', operand: this.#unary() };
      }
      if (this.#peek().kind === '(') {
        const open = this.#peek();
        this.#at++;
        const node = this.#or();
        if (this.#peek().kind !== ')') this.#fail(`expected ')' to close the '(' of column ${open.column}`);
        this.#at++;
        return node;
      }
      if (this.#isKeyword('all')) {
        this.#at++;
        return { type: 'all' };
      }
      return this.#predicate();
    } finally {
      this.#depth--;
    }
  }

  #predicate(): SegmentNode {
    const token = this.#peek();
    if (token.kind !== 'word' || (!token.quoted && keywords.has(token.text.toLowerCase()))) {
      this.#fail("expected an attribute name, 'not' or '('");
    }
    this.#at++;
    const field: FieldRef = { name: token.text, column: token.column };
    const after = (what: string) => `${comparisons} after ${what}`;
    const next = this.#peek();
    if (next.kind === 'op') {
      this.#at++;
      return { type: 'compare', field, op: next.text, value: this.#value(`'${next.text}'`) };
    }
    let negated = false;
    if (this.#isKeyword('not')) {
      negated = true;
      this.#at++;
      if (!this.#isKeyword('in') && !this.#isKeyword('contains')) {
        this.#fail("expected 'in' or 'contains' after 'not'");
      }
    }
    if (this.#isKeyword('in')) {
      this.#at++;
      return { type: 'in', field, negated, values: this.#list() };
    }
    if (this.#isKeyword('contains')) {
      this.#at++;
      return { type: 'contains', field, negated, value: this.#value("'contains'") };
    }
    if (this.#isKeyword('is')) {
      this.#at++;
      if (this.#isKeyword('not')) {
        negated = true;
        this.#at++;
      }
      if (!this.#isKeyword('empty')) this.#fail(`expected 'empty' after 'is${negated ? ' not' : ''}'`);
      this.#at++;
      return { type: 'empty', field, negated };
    }
    return this.#fail(after(token.quoted ? `"${token.text}"` : `'${token.text}'`));
  }

  #value(after: string): Literal {
    const token = this.#peek();
    if (token.kind !== 'string' && token.kind !== 'number' && token.kind !== 'date') {
      this.#fail(`expected a value after ${after}`);
    }
    this.#at++;
    return { kind: token.kind, text: token.text, column: token.column };
  }

  #list(): Literal[] {
    if (this.#peek().kind !== '(') this.#fail("expected '(' after 'in'");
    this.#at++;
    const values = [this.#value("'('")];
    while (this.#peek().kind === ',') {
      this.#at++;
      if (values.length >= segmentLimits.listValues) {
        this.#fail(`a list holds at most ${segmentLimits.listValues} values`);
      }
      values.push(this.#value("','"));
    }
    if (this.#peek().kind !== ')') this.#fail("expected ',' or ')' in the list");
    this.#at++;
    return values;
  }
}

/**
 * Parses a segment expression into its syntax tree; a mistake throws SEGMENT_INVALID with the
 * 1-based column where it is (`details: {column, message}`). No evaluation happens here.
 *
 * @example
 * parseSegment("specialty in ('cardiology', 'oncology') and age >= 40");
 * parseSegment('age >= '); // throws SEGMENT_INVALID "column 8: expected a value after '>='"
 */
export function parseSegment(expression: string): SegmentNode {
  if (expression.length > segmentLimits.length) {
    throw panelErrors.segmentInvalid(
      segmentLimits.length + 1,
      `the segment is longer than ${segmentLimits.length} characters`,
    );
  }
  return new Parser(tokenize(expression)).parseAll();
}
