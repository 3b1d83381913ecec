import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Database } from '../db/index.ts';
import { panelErrors } from './errors.ts';
import { memberFields } from './header.ts';
import type { CompareOp, FieldRef, Literal, Predicate, SegmentNode } from './segment.ts';
import type { AttributeType } from './types.ts';
import { isIsoDate } from './values.ts';

type Eb = ExpressionBuilder<Database, 'members'>;

/** A compiled segment: a parameterised WHERE condition on `members`, for `.where(condition)`. */
export type SegmentCondition = (eb: Eb) => Expression<SqlBool>;

type MemberField = (typeof memberFields)[number];

function isMemberField(name: string): name is MemberField {
  return (memberFields as readonly string[]).includes(name);
}

function fail(at: { column: number }, message: string): never {
  throw panelErrors.segmentInvalid(at.column, message);
}

/** A value in the form the attribute's index column holds, or a SEGMENT_INVALID naming its column. */
function operand(field: FieldRef, type: AttributeType, value: Literal): string | number {
  if (value.kind === 'date' && !isIsoDate(value.text)) fail(value, `${value.text} is not a date`);
  if (type === 'number') {
    if (value.kind !== 'number') fail(value, `${field.name} is a number attribute: expected a number`);
    return Number(value.text);
  }
  if (type === 'date') {
    if (value.kind === 'number' || !isIsoDate(value.text)) {
      fail(value, `${field.name} is a date attribute: expected a date such as 2024-04-01`);
    }
    return value.text;
  }
  if (value.kind !== 'string') fail(value, `${field.name} is a text attribute: put the value in quotes`);
  return value.text;
}

/**
 * Member ids a condition is limited to: after `after` (exclusive) and up to `upto` (inclusive).
 * The bounds go into every attribute subquery too, so that a page of a walk reads only its part of
 * the index instead of all of the segment's rows.
 */
export interface IdRange {
  after?: string | undefined;
  upto?: string | undefined;
}

/** Members having a value of `key` that passes `test` on the index (one row per value or element). */
function having(
  key: string,
  range: IdRange,
  test?: { column: 'text_value' | 'num_value'; op: CompareOp | 'in' | 'not in'; value: unknown },
): SegmentCondition {
  return (eb) => {
    let q = eb
      .selectFrom('member_attributes')
      .select('member_attributes.member_id')
      .where('member_attributes.key', '=', key);
    // The value's type was checked against the attribute's: numbers go to num_value, text to text_value.
    if (test) q = q.where(sql.ref(`member_attributes.${test.column}`), test.op, test.value);
    // Implied by any test on it, but said outright: the (key, num_value) index only holds numbers.
    if (test?.column === 'num_value') q = q.where('member_attributes.num_value', 'is not', null);
    if (range.after !== undefined) q = q.where('member_attributes.member_id', '>', range.after);
    if (range.upto !== undefined) q = q.where('member_attributes.member_id', '<=', range.upto);
    return eb('members.id', 'in', q);
  };
}

function fieldCondition(node: Predicate, name: MemberField): SegmentCondition {
  const column = `members.${name}` as const;
  // A missing e-mail or name fails every comparison, so `not` gives two-valued answers.
  const present = (eb: Eb, test: Expression<SqlBool>) => eb.and([eb(column, 'is not', null), test]);
  switch (node.type) {
    case 'compare':
      return (eb) => present(eb, eb(column, node.op, node.value.text));
    case 'in': {
      const values = node.values.map((v) => v.text);
      return (eb) => present(eb, eb(column, node.negated ? 'not in' : 'in', values));
    }
    case 'empty':
      return (eb) => eb(column, node.negated ? 'is not' : 'is', null);
    case 'contains':
      return fail(node.field, `contains applies to list attributes; ${name} is a member field`);
  }
}

function attributeCondition(node: Predicate, type: AttributeType, range: IdRange): SegmentCondition {
  const { field } = node;
  const key = field.name;
  const column = type === 'number' ? 'num_value' : 'text_value';
  if (node.type === 'empty') {
    const exists = having(key, range);
    return node.negated ? exists : (eb) => eb.not(exists(eb));
  }
  if (node.type === 'contains') {
    if (type !== 'list') fail(field, `contains applies to list attributes; ${key} is ${type}`);
    const has = having(key, range, { column: 'text_value', op: '=', value: node.value.text });
    return node.negated ? (eb) => eb.not(has(eb)) : has;
  }
  if (type === 'list') fail(field, `${key} is a list attribute: use contains`);
  if (node.type === 'compare') {
    return having(key, range, { column, op: node.op, value: operand(field, type, node.value) });
  }
  const values = node.values.map((v) => operand(field, type, v));
  return having(key, range, { column, op: node.negated ? 'not in' : 'in', value: values });
}

function compileNode(
  node: SegmentNode,
  types: ReadonlyMap<string, AttributeType>,
  range: IdRange,
): SegmentCondition {
  switch (node.type) {
    case 'all':
      return (eb) => eb.lit(true);
    case 'and':
    case 'or': {
      const parts = node.operands.map((n) => compileNode(n, types, range));
      return (eb) => eb[node.type](parts.map((p) => p(eb)));
    }
    case 'not': {
      const inner = compileNode(node.operand, types, range);
      return (eb) => eb.not(inner(eb));
    }
    default: {
      const name = node.field.name;
      if (isMemberField(name)) return fieldCondition(node, name);
      const type = types.get(name);
      if (!type) fail(node.field, `unknown attribute ${JSON.stringify(name)}`);
      return attributeCondition(node, type, range);
    }
  }
}

/**
 * Turns a parsed segment into a parameterised condition on `members` that runs on SQLite and
 * PostgreSQL alike, checking every name and value against the attribute types. Opted-out
 * members are always excluded; with `range`, so are members outside it.
 *
 * @example
 * const condition = compileSegment(parseSegment('age >= 40'), new Map([['age', 'number']]));
 * await db.kysely.selectFrom('members').select('id').where(condition).execute();
 */
export function compileSegment(
  node: SegmentNode,
  types: ReadonlyMap<string, AttributeType>,
  range: IdRange = {},
): SegmentCondition {
  const condition = compileNode(node, types, range);
  return (eb) => {
    // Limiting the subqueries to the range is right only together with the same limit here
    // (`not (id in …)` would otherwise hold for members whose rows lie outside it).
    const parts = [eb('members.opted_out_at', 'is', null), condition(eb)];
    if (range.after !== undefined) parts.push(eb('members.id', '>', range.after));
    if (range.upto !== undefined) parts.push(eb('members.id', '<=', range.upto));
    return eb.and(parts);
  };
}
